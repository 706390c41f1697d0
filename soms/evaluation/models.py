"""Demonstration-city dynamic management: candidate cities, the ministry's decisions about
designated cities, and the comprehensive evaluation (rounds, indicator trees, the cities'
submissions and the values scored).

The designations themselves are reference data (:class:`soms.reference.models.CityDesignation`,
read by the statistics engine); a decision of exit or of new designation changes them through
:mod:`soms.evaluation.services`, in the same transaction as the decision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from soms.accounts.choices import MINISTRY_ROLES, Role
from soms.core.querysets import RestrictedQuerySet
from soms.evaluation.choices import (
    CandidateStatus,
    CityKind,
    DecisionKind,
    Direction,
    RegionGroup,
    RoundStatus,
    Source,
    SubmissionStatus,
)
from soms.reference.models import BilingualNamed

if TYPE_CHECKING:
    from soms.accounts.models import User

# Decisions that change a designation are public acts; warnings and rectification periods are
# addressed to the city and stay with the officials.
PUBLIC_DECISIONS = (DecisionKind.EXIT, DecisionKind.DESIGNATION)
MAX_LEVEL = 3


class CandidateCityQuerySet(RestrictedQuerySet):
    def scope(self, user: User, action: str) -> Q | None:
        if action == "view" and user.role in MINISTRY_ROLES:
            return Q()
        if action == "change" and user.role == Role.MINISTRY_ADMIN:
            return Q()
        if action == "view" and user.role == Role.CITY_EVALUATOR:
            return Q(division_id=user.division_id)
        return None


class CandidateCity(models.Model):
    """A city applying to become a demonstration city (申请城市)."""

    division = models.ForeignKey(
        "reference.Division",
        on_delete=models.PROTECT,
        related_name="demonstration_applications",
        verbose_name=_("city"),
    )
    applied_on = models.DateField(_("applied on"))
    document = models.CharField(_("application document"), max_length=200, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CandidateStatus.choices,
        default=CandidateStatus.APPLYING,
    )
    note = models.TextField(_("note"), blank=True)

    objects = CandidateCityQuerySet.as_manager()

    class Meta:
        verbose_name = _("candidate city")
        verbose_name_plural = _("candidate cities")
        ordering = ["-applied_on", "division"]
        constraints = [
            models.UniqueConstraint(
                fields=["division", "applied_on"],
                name="candidate_city_unique",
                violation_error_message=_("This application is already recorded."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.division.name} {self.applied_on:%Y-%m-%d}"


class CityDecisionQuerySet(RestrictedQuerySet):
    def scope(self, user: User, action: str) -> Q | None:
        if action == "change":
            return Q() if user.role == Role.MINISTRY_ADMIN else None
        if action != "view":
            return None
        if user.role in MINISTRY_ROLES:
            return Q()
        public = Q(kind__in=PUBLIC_DECISIONS)
        if user.role == Role.CITY_EVALUATOR:
            return public | Q(division_id=user.division_id)
        own = user.division_scope("division")
        return public if own is None else public | own

    def public_scope(self, action: str) -> Q | None:
        return Q(kind__in=PUBLIC_DECISIONS) if action == "view" else None


class CityDecision(models.Model):
    """A decision of dynamic management about a city: a warning, a rectification period, its
    exit from the demonstration cities, or its designation as one, with the document that made
    it. An exit or a designation points at the designation it ended or created."""

    division = models.ForeignKey(
        "reference.Division",
        on_delete=models.PROTECT,
        related_name="demonstration_decisions",
        verbose_name=_("city"),
    )
    kind = models.CharField(_("decision"), max_length=16, choices=DecisionKind.choices)
    decided_on = models.DateField(_("decided on"))
    document = models.CharField(_("document number"), max_length=200)
    reason = models.TextField(_("reason"))
    rectify_until = models.DateField(_("rectification until"), null=True, blank=True)
    designation = models.ForeignKey(
        "reference.CityDesignation",
        # PROTECT: the designation a decision ended or created is part of its record.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("designation"),
    )
    evaluation_round = models.ForeignKey(
        "EvaluationRound",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("evaluation round"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = CityDecisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("decision on a city")
        verbose_name_plural = _("decisions on cities")
        ordering = ["-decided_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=DecisionKind.RECTIFICATION)
                | Q(rectify_until__isnull=False, rectify_until__gt=F("decided_on")),
                name="city_decision_rectification_period",
                violation_error_message=_(
                    "A rectification period ends after the day of the decision."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=PUBLIC_DECISIONS) | Q(designation__isnull=False),
                name="city_decision_designation",
                violation_error_message=_(
                    "An exit or a designation names the designation it ends or creates."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.division.name} {self.get_kind_display()} {self.decided_on:%Y-%m-%d}"


class RoundQuerySet(RestrictedQuerySet):
    """``view``: the round exists for the user (its list entry, a city's own submission);
    ``results``: its scores and report; ``manage``: define, open, review, close, publish."""

    def scope(self, user: User, action: str) -> Q | None:
        published = Q(status=RoundStatus.PUBLISHED)
        if action == "manage":
            return Q() if user.role == Role.MINISTRY_ADMIN else None
        if user.role in MINISTRY_ROLES:
            return Q() if action in ("view", "results") else None
        if action == "view" and user.role == Role.CITY_EVALUATOR:
            # A subquery, not a join: a join on the cities would repeat published rounds.
            own = EvaluatedCity.objects.filter(division_id=user.division_id)
            return published | (
                Q(pk__in=own.values("evaluation_round")) & ~Q(status=RoundStatus.DRAFT)
            )
        return published if action in ("view", "results") else None

    def public_scope(self, action: str) -> Q | None:
        return Q(status=RoundStatus.PUBLISHED) if action in ("view", "results") else None


class EvaluationRound(BilingualNamed):
    """One comprehensive evaluation of the cities over the figures of a year: its indicator
    tree, the cities evaluated and their submissions. Draft → open (cities fill their forms,
    the ministry reviews) → closed (values final) → published (everyone sees the results)."""

    year = models.PositiveSmallIntegerField(_("year evaluated"))
    status = models.CharField(
        _("status"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.DRAFT
    )
    note = models.TextField(_("note"), blank=True)
    cap = models.DecimalField(
        _("limit of an indicator's points"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_(
            "As a multiple of the indicator's weight (2: at most twice its weight), so that one "
            "city far above the others does not decide the ranking alone. Empty: no limit."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    objects = RoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("evaluation round")
        verbose_name_plural = _("evaluation rounds")
        ordering = ["-year", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["name_zh"],
                name="evaluation_round_unique_name",
                violation_error_message=_("There is already a round with this name."),
            ),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(cap__gte=1),
                name="evaluation_round_cap",
                violation_error_message=_(
                    "The limit is at least 1: the average city scores each indicator's weight."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status=RoundStatus.PUBLISHED) | Q(published_at__isnull=False),
                name="evaluation_round_published_at",
                violation_error_message=_("A published round has its publication time."),
            ),
        ]

    @property
    def is_draft(self) -> bool:
        return self.status == RoundStatus.DRAFT

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN

    @property
    def is_published(self) -> bool:
        return self.status == RoundStatus.PUBLISHED


class Indicator(BilingualNamed):
    """A node of a round's indicator tree. A node with children is scored as the sum of its
    children (whose weights add up to its own); a leaf has a direction and a source: a formula
    over the system's data, a field of the city's form, or a figure the ministry enters. Bonus
    items are first-level leaves outside the 100: their value is points, up to the weight."""

    evaluation_round = models.ForeignKey(
        EvaluationRound,
        on_delete=models.CASCADE,
        related_name="indicators",
        verbose_name=_("evaluation round"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent indicator"),
    )
    code = models.CharField(_("code"), max_length=20)
    level = models.PositiveSmallIntegerField(_("level"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2)
    is_bonus = models.BooleanField(_("bonus item"), default=False)
    direction = models.CharField(
        pgettext_lazy("indicator", "direction"),
        max_length=8,
        choices=Direction.choices,
        default=Direction.HIGHER,
    )
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.SUBMITTED
    )
    formula = models.CharField(_("formula"), max_length=40, blank=True)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    guidance = models.TextField(_("guidance for the form"), blank=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["evaluation_round", "level", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation_round", "code"],
                name="indicator_unique_code",
                violation_error_message=_("This round already has an indicator with this code."),
            ),
            models.CheckConstraint(
                condition=Q(weight__gt=0),
                name="indicator_weight_positive",
                violation_error_message=_("A weight is above zero."),
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=MAX_LEVEL),
                name="indicator_level",
                violation_error_message=_("An indicator tree has at most three levels."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class EvaluatedCityQuerySet(RestrictedQuerySet):
    """A city in a round, with its submission. ``view``: see the submission; ``fill``: enter
    and submit its values; ``review``: approve or return it, enter external values."""

    def scope(self, user: User, action: str) -> Q | None:
        not_draft = ~Q(evaluation_round__status=RoundStatus.DRAFT)
        if user.role in MINISTRY_ROLES and action == "view":
            return Q()
        if user.role == Role.MINISTRY_ADMIN and action == "review":
            return Q(evaluation_round__status=RoundStatus.OPEN)
        if user.role == Role.CITY_EVALUATOR and action == "view":
            return Q(division_id=user.division_id) & not_draft
        if user.role == Role.CITY_EVALUATOR and action == "fill":
            return Q(division_id=user.division_id, evaluation_round__status=RoundStatus.OPEN)
        return None


class EvaluatedCity(models.Model):
    """A city evaluated in a round: a designated demonstration city or a candidate, ranked
    nationally and within its region group."""

    evaluation_round = models.ForeignKey(
        EvaluationRound,
        on_delete=models.CASCADE,
        related_name="cities",
        verbose_name=_("evaluation round"),
    )
    division = models.ForeignKey(
        "reference.Division",
        on_delete=models.PROTECT,
        related_name="evaluations",
        verbose_name=_("city"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=CityKind.choices)
    region_group = models.CharField(_("region group"), max_length=12, choices=RegionGroup.choices)

    objects = EvaluatedCityQuerySet.as_manager()

    class Meta:
        verbose_name = _("evaluated city")
        verbose_name_plural = _("evaluated cities")
        ordering = ["evaluation_round", "division"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation_round", "division"],
                name="evaluated_city_unique",
                violation_error_message=_("This city is already in the round."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation_round} · {self.division.name}"


class Submission(models.Model):
    """The city's answer to the round's form: its state in the review, who did what."""

    city = models.OneToOneField(
        EvaluatedCity, on_delete=models.CASCADE, related_name="submission", verbose_name=_("city")
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=SubmissionStatus.choices,
        default=SubmissionStatus.DRAFT,
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    return_reason = models.TextField(_("reason for return"), blank=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=SubmissionStatus.RETURNED) | ~Q(return_reason=""),
                name="submission_return_has_reason",
                violation_error_message=_("A returned submission says why."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.city)

    @property
    def editable(self) -> bool:
        return self.status in (SubmissionStatus.DRAFT, SubmissionStatus.RETURNED)


class IndicatorValue(models.Model):
    """A city's value of a leaf indicator in a round: typed by the city, entered by the ministry
    or computed from the system's data (refreshed until the round closes). Empty: not known."""

    city = models.ForeignKey(
        EvaluatedCity, on_delete=models.CASCADE, related_name="values", verbose_name=_("city")
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="values", verbose_name=_("indicator")
    )
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4, null=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        constraints = [
            models.UniqueConstraint(
                fields=["city", "indicator"],
                name="indicator_value_unique",
                violation_error_message=_("This city already has a value for this indicator."),
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0),
                name="indicator_value_not_negative",
                violation_error_message=_("A value is not negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.city} {self.indicator.code}: {self.value}"
