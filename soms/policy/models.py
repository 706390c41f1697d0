"""Policy targets and the external series some of them are measured against.

A :class:`Target` is one number (or direction) a policy document sets, with the indicator that
measures it (:mod:`soms.policy.indicators`), its baseline, deadline and scope; its progress,
projection and status are computed from the data each time (:mod:`soms.policy.progress`), never
stored. An :class:`ExternalSeries` holds figures the system cannot derive from filed records
(services exports, a world benchmark), uploaded by the ministry with their source. Unlike
:class:`soms.reference.models.ExternalSeries` (the published national figures loaded at set-up),
these are maintained in the running system and may be in any unit a target needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from soms.accounts.choices import MINISTRY_ROLES, Role
from soms.core.querysets import RestrictedQuerySet
from soms.policy.choices import Comparison, Direction, ScopeLevel, SeriesUnit
from soms.reference.models import BilingualNamed

if TYPE_CHECKING:
    from soms.accounts.models import User

# The forms of codes, checked on the field (a refusal names it) and by the database.
SERIES_CODE_FORM = r"^[a-z0-9][a-z0-9_.-]*$"
TARGET_CODE_FORM = r"^T-[0-9]{4}-[A-Z0-9]+(-[A-Z0-9]+)*$"
SERIES_CODE = RegexValidator(
    SERIES_CODE_FORM,
    _("A series code has lower-case letters, digits, dots, dashes and underscores."),
)
TARGET_CODE = RegexValidator(
    TARGET_CODE_FORM,
    _("A target code is T-, a year, a dash and capital letters or digits (T-2006-X4)."),
)


class ExternalSeriesQuerySet(RestrictedQuerySet):
    def scope(self, user: User, action: str) -> Q | None:
        if action == "view" and user.role in MINISTRY_ROLES:
            return Q()
        if action == "change" and user.role == Role.MINISTRY_ADMIN:
            return Q()
        return None


class ExternalSeries(BilingualNamed):
    """Yearly (or year-end) figures from outside the system, with where they come from."""

    code = models.CharField(
        _("series code"),
        max_length=60,
        unique=True,
        validators=[SERIES_CODE],
        help_text=_("Lower-case letters, digits, dots, dashes and underscores."),
    )
    unit = models.CharField(_("unit"), max_length=20, choices=SeriesUnit.choices)
    source = models.CharField(
        _("source"),
        max_length=500,
        help_text=_("Who published the figures, and in which publication."),
    )
    source_url = models.URLField(_("source address"), max_length=500, blank=True)
    illustrative = models.BooleanField(
        _("illustrative figures"),
        default=False,
        help_text=_(
            "Figures made up to show how the system works (a demonstration or a trial), not "
            "published ones: every page that shows them says so."
        ),
    )
    note = models.TextField(_("note"), blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    objects = ExternalSeriesQuerySet.as_manager()

    class Meta:
        verbose_name = _("external series")
        verbose_name_plural = _("external series")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=SERIES_CODE_FORM),
                name="policy_series_code_form",
                violation_error_message=_(
                    "A series code has lower-case letters, digits, dots, dashes and underscores."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(source=""),
                name="policy_series_has_source",
                violation_error_message=_("An external series names its source."),
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def span(self) -> str:
        """The first and last period and how many figures (``2019–2025 (7)``), from the
        values as prefetched."""
        values = sorted(self.values.all(), key=lambda v: (v.year, v.month or 0))
        if not values:
            return ""
        first, last = values[0].period, values[-1].period
        periods = first if first == last else f"{first}–{last}"
        return f"{periods} ({len(values)})"

    def by_year(self) -> dict[int, ExternalValue]:
        """The figure of each year: the whole year's, else the year-end (December) one."""
        found: dict[int, ExternalValue] = {}
        for value in self.values.all():
            if value.month is None or (value.month == 12 and value.year not in found):
                found[value.year] = value
        return found


class ExternalValue(models.Model):
    """One figure of an external series: for a year (``2024``) or at a month's end
    (``2024-12``, a stock such as a headcount)."""

    series = models.ForeignKey(ExternalSeries, on_delete=models.CASCADE, related_name="values")
    period = models.CharField(_("period"), max_length=7)
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"), null=True, blank=True)
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=6)

    class Meta:
        verbose_name = _("external figure")
        verbose_name_plural = _("external figures")
        ordering = ["series", "year", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "period"],
                name="policy_value_unique_period",
                violation_error_message=_("This series already has a figure for this period."),
            ),
            models.CheckConstraint(
                condition=Q(month__isnull=True) | Q(month__gte=1, month__lte=12),
                name="policy_value_month_range",
                violation_error_message=_("A month is from 1 to 12."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.series_id} {self.period} {self.value}"

    @property
    def text(self) -> str:
        """The value as given, with thousands separators and no trailing zeros."""
        return f"{self.value.normalize():,f}"


class TargetQuerySet(RestrictedQuerySet):
    """The ministry sees every target; anyone else (the public included) only published ones.
    Only the ministry administrator changes and publishes them."""

    def scope(self, user: User, action: str) -> Q | None:
        if action == "view":
            return Q() if user.role in MINISTRY_ROLES else Q(published=True)
        if action == "change" and user.role == Role.MINISTRY_ADMIN:
            return Q()
        return None

    def public_scope(self, action: str) -> Q | None:
        return Q(published=True) if action == "view" else None


class Target(models.Model):
    """A target a policy document sets: what is measured (the indicator), from what baseline,
    to what value or in which direction, by which year and where."""

    code = models.CharField(
        _("target code"),
        max_length=40,
        unique=True,
        validators=[TARGET_CODE],
        help_text=_("T-, the year of the policy, a dash and a short name: T-2006-X4."),
    )
    title_zh = models.CharField(_("title (Chinese)"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    document_title = models.CharField(_("policy document"), max_length=300)
    document_number = models.CharField(
        _("document number"), max_length=100, blank=True, help_text=_("商资发〔2006〕556号 …")
    )
    document_file = models.CharField(
        _("text of the document"),
        max_length=300,
        blank=True,
        help_text=_("The file of the text among the policy texts, or its web address."),
    )
    indicator = models.CharField(_("indicator"), max_length=60)
    companion_indicator = models.CharField(
        _("second indicator"),
        max_length=60,
        blank=True,
        help_text=_(
            "A second indicator the target names (employment beside leading enterprises); it is "
            "to move in the target's direction too."
        ),
    )
    comparison = models.CharField(
        _("comparison"), max_length=10, choices=Comparison.choices, default=Comparison.AT_LEAST
    )
    target_value = models.DecimalField(
        _("target value"),
        max_digits=24,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("In the indicator's unit; for a ratio, the multiple of the baseline."),
    )
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, blank=True
    )
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"), null=True, blank=True)
    baseline_value = models.DecimalField(
        _("baseline value"),
        max_digits=24,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Empty: the indicator's figure for the baseline year."),
    )
    baseline_source = models.CharField(
        _("source of the baseline value"), max_length=300, blank=True
    )
    accumulate_from = models.PositiveSmallIntegerField(
        _("counted from"),
        null=True,
        blank=True,
        help_text=_("The yearly figures add up from this year (people trained over a plan)."),
    )
    deadline = models.PositiveSmallIntegerField(_("deadline (year)"))
    scope_level = models.CharField(
        _("scope"), max_length=10, choices=ScopeLevel.choices, default=ScopeLevel.NATIONAL
    )
    division = models.ForeignKey(
        "reference.Division",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("province or city"),
    )
    # PROTECT: a series a target is measured by cannot disappear from under it.
    series = models.ForeignKey(
        ExternalSeries,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="targets",
        verbose_name=_("external series"),
        help_text=_("The series an indicator of external figures reads."),
    )
    benchmark = models.ForeignKey(
        ExternalSeries,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="benchmarked_targets",
        verbose_name=_("benchmark series"),
        help_text=_("The indicator is to reach this series' figure (instead of a target value)."),
    )
    threshold = models.DecimalField(
        _("threshold"),
        max_digits=24,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("A parameter of the indicator (leading enterprises: yearly execution value)."),
    )
    published = models.BooleanField(
        _("published"), default=False, help_text=_("Whether the public sees this target.")
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = TargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("policy target")
        verbose_name_plural = _("policy targets")
        ordering = ["deadline", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=TARGET_CODE_FORM),
                name="policy_target_code_form",
                violation_error_message=_(
                    "A target code is T-, a year, a dash and capital letters or digits (T-2006-X4)."
                ),
            ),
            models.CheckConstraint(
                condition=Q(target_value__isnull=False, direction="", benchmark__isnull=True)
                | Q(
                    target_value__isnull=True,
                    benchmark__isnull=True,
                    direction__in=["rise", "fall"],
                )
                | Q(target_value__isnull=True, direction="", benchmark__isnull=False),
                name="policy_target_value_direction_or_benchmark",
                violation_error_message=_(
                    "A target has exactly one of a target value, a direction and a benchmark "
                    "series."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(comparison="ratio")
                | Q(baseline_year__isnull=False, target_value__gt=0),
                name="policy_target_ratio_has_baseline",
                violation_error_message=_(
                    "A target relative to its baseline needs a baseline year and a multiple "
                    "greater than zero."
                ),
            ),
            models.CheckConstraint(
                condition=Q(scope_level="national", division__isnull=True)
                | Q(scope_level__in=["province", "city"], division__isnull=False),
                name="policy_target_scope_division",
                violation_error_message=_(
                    "A national target has no division; a province's or a city's names it."
                ),
            ),
            models.CheckConstraint(
                condition=Q(baseline_year__isnull=True) | Q(baseline_year__lt=F("deadline")),
                name="policy_target_baseline_before_deadline",
                violation_error_message=_("The baseline year comes before the deadline."),
            ),
            models.CheckConstraint(
                condition=Q(baseline_value__isnull=True) | Q(baseline_year__isnull=False),
                name="policy_target_baseline_value_has_year",
                violation_error_message=_("A baseline value needs its year."),
            ),
            models.CheckConstraint(
                condition=Q(accumulate_from__isnull=True) | Q(accumulate_from__lte=F("deadline")),
                name="policy_target_accumulation_before_deadline",
                violation_error_message=_("Figures cannot start adding up after the deadline."),
            ),
            models.CheckConstraint(
                condition=Q(companion_indicator="") | ~Q(direction=""),
                name="policy_target_companion_needs_direction",
                violation_error_message=_(
                    "A second indicator is only for a target that sets a direction."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def title(self) -> str:
        """The title in the active language (Chinese when no English title is known)."""
        if (get_language() or "").startswith("en") and self.title_en:
            return self.title_en
        return self.title_zh

    @property
    def scope_name(self) -> Any:
        if self.division is None:
            return ScopeLevel(self.scope_level).label
        return self.division.name
