"""Every change of the evaluation's state: candidate cities, decisions of dynamic management, the
rounds, their indicator trees and cities, the cities' submissions and the ministry's review.
Each function runs in one transaction with its audit event; views, the demo and the tests all
call these.

An exit ends the city's current demonstration designation (``revoked_on`` = the day of the
decision) and a new designation creates one, in the decision's transaction; the statistics
follow the designations through their signal (see :mod:`soms.statistics.maintenance`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from soms.accounts.choices import Role
from soms.audit.services import record, snapshot
from soms.core.errors import ConflictError, NotPermitted, ServiceError
from soms.evaluation import tree
from soms.evaluation.choices import (
    REGION_GROUPS,
    CandidateStatus,
    CityKind,
    DecisionKind,
    Direction,
    RoundStatus,
    Source,
    SubmissionStatus,
)
from soms.evaluation.formulas import FORMULAS, compute_formula
from soms.evaluation.models import (
    MAX_LEVEL,
    CandidateCity,
    CityDecision,
    EvaluatedCity,
    EvaluationRound,
    Indicator,
    IndicatorValue,
    Submission,
)
from soms.evaluation.tree import tree_order
from soms.reference.choices import DesignationKind, RegionKind
from soms.reference.models import CityDesignation, Division, Region

ROUND_FIELDS = ["name_zh", "name_en", "year", "status", "note", "cap", "published_at"]
INDICATOR_FIELDS = [
    "code",
    "parent",
    "level",
    "position",
    "name_zh",
    "name_en",
    "weight",
    "is_bonus",
    "direction",
    "source",
    "formula",
    "unit",
    "guidance",
]
SUBMISSION_FIELDS = ["status", "submitted_at", "reviewed_at", "return_reason"]
DESIGNATION_FIELDS = ["division", "kind", "designated_on", "document", "note", "revoked_on"]
DECISION_FIELDS = [
    "division",
    "kind",
    "decided_on",
    "document",
    "reason",
    "rectify_until",
    "designation",
    "evaluation_round",
]
VALUE_LIMIT = Decimal(10) ** 16  # the column holds 20 digits, 4 of them decimals
FOUR_PLACES = Decimal("0.0001")

# The first level of the 2016 round (5 first-level, 20 second-level, 57 third-level
# indicators; the average city totals 100).
TEMPLATE_2016 = (
    ("产业发展", "Industry development", Decimal(40)),
    ("基础设施", "Infrastructure", Decimal(15)),
    ("人才培养与就业", "Talent training and employment", Decimal(20)),
    ("要素成本", "Factor costs", Decimal(10)),
    ("政策措施", "Policy measures", Decimal(15)),
)
TEMPLATES = {"2016": TEMPLATE_2016}


# --- who may ------------------------------------------------------------------------------------


def _check_admin(actor: Any) -> None:
    if getattr(actor, "role", None) != Role.MINISTRY_ADMIN:
        raise NotPermitted(
            _("Only a ministry administrator manages the demonstration cities and evaluations."),
            code="not_permitted",
        )


def _check_evaluator(actor: Any, city: EvaluatedCity) -> None:
    if getattr(actor, "role", None) != Role.CITY_EVALUATOR or actor.division_id != city.division_id:
        raise NotPermitted(
            _("Only the city's own evaluator fills its evaluation form."), code="not_permitted"
        )


def _locked_round(evaluation_round: EvaluationRound) -> EvaluationRound:
    return EvaluationRound.objects.select_for_update().get(pk=evaluation_round.pk)


def _check_status(evaluation_round: EvaluationRound, *allowed: str) -> None:
    if evaluation_round.status not in allowed:
        messages = {
            RoundStatus.DRAFT: _("The round is still a draft: it has not opened."),
            RoundStatus.OPEN: _("The round is open: its tree and cities are fixed."),
            RoundStatus.CLOSED: _("The round is closed: its values are final."),
            RoundStatus.PUBLISHED: _("The round is published: its results are final."),
        }
        raise ConflictError(messages[RoundStatus(evaluation_round.status)], code="round_status")


# --- candidate cities and decisions -------------------------------------------------------------


def _city(code: str, field: str = "division") -> Division:
    division = Division.objects.filter(code=str(code).strip()).first()
    if division is None or not division.is_city_unit:
        raise ServiceError(
            _("%(code)s is not a city (a prefecture-level city or a municipality)."),
            code="not_a_city",
            field=field,
            params={"code": code},
        )
    return division


def _current_designation(division: Division) -> CityDesignation | None:
    return (
        CityDesignation.objects.select_for_update()
        .filter(division=division, kind=DesignationKind.DEMONSTRATION, revoked_on__isnull=True)
        .order_by("-designated_on")
        .first()
    )


@transaction.atomic
def add_candidate(
    actor: Any, *, division: str, applied_on: dt.date, document: str = "", note: str = ""
) -> CandidateCity:
    """A city's application to become a demonstration city."""
    _check_admin(actor)
    city = _city(division)
    if _current_designation(city) is not None:
        raise ConflictError(
            _("%(city)s is a demonstration city already."),
            code="already_designated",
            field="division",
            params={"city": city.name},
        )
    if CandidateCity.objects.filter(division=city, applied_on=applied_on).exists():
        raise ConflictError(
            _("This application is already recorded."), code="duplicate", field="applied_on"
        )
    candidate = CandidateCity.objects.create(
        division=city, applied_on=applied_on, document=document.strip(), note=note.strip()
    )
    record("evaluation.candidate.added", actor=actor, obj=candidate, after=snapshot(candidate))
    return candidate


@transaction.atomic
def record_decision(
    actor: Any,
    *,
    division: str,
    kind: str,
    decided_on: dt.date,
    document: str,
    reason: str,
    rectify_until: dt.date | None = None,
    evaluation_round: EvaluationRound | None = None,
) -> CityDecision:
    """A decision of dynamic management with its date, document number and reason. A warning or
    a rectification period is addressed to a demonstration city; an exit ends its designation
    on the day of the decision; a new designation makes the city a demonstration city from that
    day (and settles its pending application)."""
    _check_admin(actor)
    city = _city(division)
    if kind not in DecisionKind.values:
        raise ServiceError(_("Choose a kind of decision."), code="invalid", field="kind")
    document, reason = document.strip(), reason.strip()
    if not document:
        raise ServiceError(
            _("A decision names its document number."), code="required", field="document"
        )
    if not reason:
        raise ServiceError(_("A decision gives its reason."), code="required", field="reason")
    if kind == DecisionKind.RECTIFICATION and (
        rectify_until is None or rectify_until <= decided_on
    ):
        raise ServiceError(
            _("A rectification period ends after the day of the decision."),
            code="rectification_period",
            field="rectify_until",
        )
    if kind != DecisionKind.RECTIFICATION:
        rectify_until = None
    current = _current_designation(city)
    designation: CityDesignation | None = None
    if kind == DecisionKind.DESIGNATION:
        if current is not None:
            raise ConflictError(
                _("%(city)s is a demonstration city already."),
                code="already_designated",
                field="division",
                params={"city": city.name},
            )
        if CityDesignation.objects.filter(
            division=city, kind=DesignationKind.DEMONSTRATION, designated_on=decided_on
        ).exists():
            raise ConflictError(
                _("This designation is already recorded."), code="duplicate", field="decided_on"
            )
        designation = CityDesignation.objects.create(
            division=city,
            kind=DesignationKind.DEMONSTRATION,
            designated_on=decided_on,
            document=document[:200],
            note=reason,
        )
        record(
            "reference.designation.created",
            actor=actor,
            obj=designation,
            after=snapshot(designation, DESIGNATION_FIELDS),
            reason=document,
        )
        CandidateCity.objects.filter(division=city, status=CandidateStatus.APPLYING).update(
            status=CandidateStatus.DESIGNATED
        )
    else:
        if current is None:
            raise ConflictError(
                _("%(city)s is not a demonstration city."),
                code="not_designated",
                field="division",
                params={"city": city.name},
            )
        if decided_on <= current.designated_on:
            raise ServiceError(
                _("The decision is dated before the city's designation (%(day)s)."),
                code="before_designation",
                field="decided_on",
                params={"day": f"{current.designated_on:%Y-%m-%d}"},
            )
        if kind == DecisionKind.EXIT:
            before = snapshot(current, DESIGNATION_FIELDS)
            current.revoked_on = decided_on
            current.save()  # through save(): the statistics follow designations by signal
            record(
                "reference.designation.ended",
                actor=actor,
                obj=current,
                before=before,
                after=snapshot(current, DESIGNATION_FIELDS),
                reason=document,
            )
            designation = current
    decision = CityDecision.objects.create(
        division=city,
        kind=kind,
        decided_on=decided_on,
        document=document,
        reason=reason,
        rectify_until=rectify_until,
        designation=designation,
        evaluation_round=evaluation_round,
        recorded_by=actor,
    )
    record(
        "evaluation.decision.recorded",
        actor=actor,
        obj=decision,
        after=snapshot(decision, DECISION_FIELDS),
        reason=reason,
    )
    return decision


# --- rounds and their trees ---------------------------------------------------------------------


@transaction.atomic
def create_round(
    actor: Any,
    *,
    name_zh: str,
    year: int,
    name_en: str = "",
    note: str = "",
    template: str | None = None,
    cap: Decimal | None = None,
) -> EvaluationRound:
    """A draft round; ``template="2016"`` gives it the 2016 round's first level; ``cap``
    limits an indicator's points to a multiple of its weight."""
    _check_admin(actor)
    name_zh = name_zh.strip()
    if not name_zh:
        raise ServiceError(_("A round has a name."), code="required", field="name_zh")
    if EvaluationRound.objects.filter(name_zh=name_zh).exists():
        raise ConflictError(
            _("There is already a round with this name."), code="duplicate", field="name_zh"
        )
    if cap is not None and cap < 1:
        raise ServiceError(
            _("The limit is at least 1: the average city scores each indicator's weight."),
            code="cap",
            field="cap",
        )
    if template is not None and template not in TEMPLATES:
        raise ServiceError(_("There is no such template."), code="invalid", field="template")
    evaluation_round = EvaluationRound.objects.create(
        name_zh=name_zh,
        name_en=name_en.strip(),
        year=year,
        note=note,
        cap=cap,
        created_by=actor,
    )
    record(
        "evaluation.round.created",
        actor=actor,
        obj=evaluation_round,
        after=snapshot(evaluation_round, ROUND_FIELDS),
        reason=f"template {template}" if template else "",
    )
    for zh, en, weight in TEMPLATES.get(template or "", ()):
        add_indicator(actor, evaluation_round, name_zh=zh, name_en=en, weight=weight)
    return evaluation_round


def _next_code(evaluation_round: EvaluationRound, parent: Indicator | None, bonus: bool) -> str:
    siblings = Indicator.objects.filter(evaluation_round=evaluation_round, parent=parent)
    prefix = f"{parent.code}." if parent is not None else ("B" if bonus else "")
    taken = set(siblings.values_list("code", flat=True))
    n = 1
    while f"{prefix}{n}" in taken:
        n += 1
    return f"{prefix}{n}"


def _clean_indicator(evaluation_round: EvaluationRound, indicator: Indicator) -> None:
    """The rules one indicator can be held to while the tree is edited (the sums wait for the
    whole tree, see :mod:`soms.evaluation.tree`)."""
    if not indicator.name_zh.strip():
        raise ServiceError(_("An indicator has a name."), code="required", field="name_zh")
    if indicator.weight is None or indicator.weight <= 0:
        raise ServiceError(_("A weight is above zero."), code="weight", field="weight")
    if indicator.level > MAX_LEVEL:
        raise ServiceError(
            _("An indicator tree has at most three levels."), code="tree_depth", field="parent"
        )
    if indicator.is_bonus and indicator.parent_id is not None:
        raise ServiceError(
            _("A bonus item is a first-level indicator without sub-indicators."),
            code="tree_bonus",
            field="is_bonus",
        )
    if indicator.source == Source.COMPUTED and indicator.formula not in FORMULAS:
        raise ServiceError(
            _("An indicator computed from the system's data names its formula."),
            code="tree_formula",
            field="formula",
        )
    if indicator.source != Source.COMPUTED:
        indicator.formula = ""


@transaction.atomic
def add_indicator(
    actor: Any,
    evaluation_round: EvaluationRound,
    *,
    name_zh: str,
    weight: Decimal,
    parent: Indicator | None = None,
    name_en: str = "",
    is_bonus: bool = False,
    direction: str = Direction.HIGHER,
    source: str = Source.SUBMITTED,
    formula: str = "",
    unit: str = "",
    guidance: str = "",
) -> Indicator:
    _check_admin(actor)
    evaluation_round = _locked_round(evaluation_round)
    _check_status(evaluation_round, RoundStatus.DRAFT)
    if parent is not None:
        if parent.evaluation_round_id != evaluation_round.pk:
            raise ServiceError(_("Choose a parent in this round."), code="invalid", field="parent")
        if parent.is_bonus:
            raise ServiceError(
                _("A bonus item is a first-level indicator without sub-indicators."),
                code="tree_bonus",
                field="parent",
            )
    position = (
        Indicator.objects.filter(evaluation_round=evaluation_round, parent=parent).aggregate(
            n=Max("position")
        )["n"]
        or 0
    ) + 1
    indicator = Indicator(
        evaluation_round=evaluation_round,
        parent=parent,
        code=_next_code(evaluation_round, parent, is_bonus),
        level=parent.level + 1 if parent is not None else 1,
        position=position,
        name_zh=name_zh.strip(),
        name_en=name_en.strip(),
        weight=weight,
        is_bonus=is_bonus,
        direction=direction,
        source=source,
        formula=formula,
        unit=unit.strip(),
        guidance=guidance.strip(),
    )
    _clean_indicator(evaluation_round, indicator)
    indicator.save()
    record(
        "evaluation.indicator.added",
        actor=actor,
        obj=indicator,
        after=snapshot(indicator, INDICATOR_FIELDS),
    )
    return indicator


EDITABLE_INDICATOR_FIELDS = (
    "name_zh",
    "name_en",
    "weight",
    "direction",
    "source",
    "formula",
    "unit",
    "guidance",
)


@transaction.atomic
def change_indicator(actor: Any, indicator: Indicator, **changes: Any) -> Indicator:
    """Change an indicator's name, weight, direction, source, formula, unit or guidance."""
    _check_admin(actor)
    evaluation_round = _locked_round(indicator.evaluation_round)
    _check_status(evaluation_round, RoundStatus.DRAFT)
    indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
    before = snapshot(indicator, INDICATOR_FIELDS)
    for name, value in changes.items():
        if name not in EDITABLE_INDICATOR_FIELDS:
            raise ServiceError(_("This cannot be changed."), code="invalid", field=name)
        setattr(indicator, name, value.strip() if isinstance(value, str) else value)
    _clean_indicator(evaluation_round, indicator)
    indicator.save()
    record(
        "evaluation.indicator.changed",
        actor=actor,
        obj=indicator,
        before=before,
        after=snapshot(indicator, INDICATOR_FIELDS),
    )
    return indicator


@transaction.atomic
def remove_indicator(actor: Any, indicator: Indicator) -> None:
    """Remove an indicator and everything below it."""
    _check_admin(actor)
    evaluation_round = _locked_round(indicator.evaluation_round)
    _check_status(evaluation_round, RoundStatus.DRAFT)
    record(
        "evaluation.indicator.removed",
        actor=actor,
        obj=indicator,
        before=snapshot(indicator, INDICATOR_FIELDS),
    )
    indicator.delete()


def tree_problems(evaluation_round: EvaluationRound) -> list[ServiceError]:
    indicators = Indicator.objects.filter(evaluation_round=evaluation_round).select_related(
        "parent"
    )
    return tree.problems(tree.items_of(indicators))


# --- the cities of a round ----------------------------------------------------------------------


def region_group(division: Division) -> str:
    region = (
        Region.objects.filter(kind=RegionKind.NBS, members=division.province_code)
        .values_list("code", flat=True)
        .first()
    )
    if region not in REGION_GROUPS:
        raise ServiceError(
            _("%(city)s is in no NBS region."),
            code="no_region",
            field="division",
            params={"city": division.name},
        )
    return REGION_GROUPS[region]


@transaction.atomic
def add_city(
    actor: Any, evaluation_round: EvaluationRound, division: str, kind: str = CityKind.DESIGNATED
) -> EvaluatedCity:
    _check_admin(actor)
    evaluation_round = _locked_round(evaluation_round)
    _check_status(evaluation_round, RoundStatus.DRAFT)
    city = _city(division)
    if kind not in CityKind.values:
        raise ServiceError(_("Choose the kind of city."), code="invalid", field="kind")
    if EvaluatedCity.objects.filter(evaluation_round=evaluation_round, division=city).exists():
        raise ConflictError(
            _("This city is already in the round."), code="duplicate", field="division"
        )
    evaluated = EvaluatedCity.objects.create(
        evaluation_round=evaluation_round, division=city, kind=kind, region_group=region_group(city)
    )
    Submission.objects.create(city=evaluated)
    record("evaluation.city.added", actor=actor, obj=evaluated, after=snapshot(evaluated))
    return evaluated


def demonstration_cities_in(year: int) -> list[str]:
    """The cities that were demonstration cities at the end of ``year`` (designated by then,
    and not ended by then)."""
    end = dt.date(year, 12, 31)
    rows = CityDesignation.objects.filter(
        kind=DesignationKind.DEMONSTRATION, designated_on__lte=end
    ).exclude(revoked_on__lte=end)
    return sorted(set(rows.values_list("division_id", flat=True)))


@transaction.atomic
def add_demonstration_cities(actor: Any, evaluation_round: EvaluationRound) -> int:
    """Every city designated at the end of the round's year, and every city still applying
    (as a candidate); cities already in the round are kept. Returns how many were added."""
    _check_admin(actor)
    present = set(evaluation_round.cities.values_list("division_id", flat=True))
    added = 0
    for code in demonstration_cities_in(evaluation_round.year):
        if code not in present:
            add_city(actor, evaluation_round, code, CityKind.DESIGNATED)
            present.add(code)
            added += 1
    applying = CandidateCity.objects.filter(status=CandidateStatus.APPLYING)
    for code in sorted(set(applying.values_list("division_id", flat=True))):
        if code not in present:
            add_city(actor, evaluation_round, code, CityKind.CANDIDATE)
            present.add(code)
            added += 1
    return added


@transaction.atomic
def remove_city(actor: Any, city: EvaluatedCity) -> None:
    _check_admin(actor)
    _check_status(_locked_round(city.evaluation_round), RoundStatus.DRAFT)
    record("evaluation.city.removed", actor=actor, obj=city, before=snapshot(city))
    city.delete()


# --- opening, computing, closing, publishing ----------------------------------------------------


def _computed_leaves(evaluation_round: EvaluationRound) -> list[Indicator]:
    return [
        i
        for i in Indicator.objects.filter(evaluation_round=evaluation_round, children__isnull=True)
        if i.source == Source.COMPUTED
    ]


def _refresh(evaluation_round: EvaluationRound) -> tuple[int, list[str]]:
    """The computed values again from the statistics engine; a formula the engine refuses
    (no dollar rate for a month) leaves its values empty and says why."""
    cities = {c.division_id: c for c in evaluation_round.cities.all()}
    now = timezone.now()
    written, refusals = 0, []
    for indicator in _computed_leaves(evaluation_round):
        try:
            values = compute_formula(indicator.formula, evaluation_round.year, cities)
        except ServiceError as refused:
            values = dict.fromkeys(cities)
            refusals.append(f"{indicator.code}: {refused.text}")
        for code, city in cities.items():
            value = values.get(code)
            if value is not None:
                value = value.quantize(FOUR_PLACES)
            IndicatorValue.objects.update_or_create(
                city=city, indicator=indicator, defaults={"value": value, "updated_at": now}
            )
            written += 1
    return written, refusals


@transaction.atomic
def refresh_computed(actor: Any, evaluation_round: EvaluationRound) -> list[str]:
    """Compute the round's system indicators again (while it is open); returns the formulas
    the engine could not answer, with its reason."""
    _check_admin(actor)
    evaluation_round = _locked_round(evaluation_round)
    _check_status(evaluation_round, RoundStatus.OPEN)
    written, refusals = _refresh(evaluation_round)
    record(
        "evaluation.values.computed",
        actor=actor,
        obj=evaluation_round,
        after={"values": written, "refused": refusals},
    )
    return refusals


@transaction.atomic
def open_round(actor: Any, evaluation_round: EvaluationRound) -> EvaluationRound:
    """Open the round to the cities: its tree must be sound and it needs two cities or more
    (a mean over one city compares it with nothing). The system's values are computed."""
    _check_admin(actor)
    evaluation_round = _locked_round(evaluation_round)
    _check_status(evaluation_round, RoundStatus.DRAFT)
    problems = tree_problems(evaluation_round)
    if problems:
        raise problems[0]
    if evaluation_round.cities.count() < 2:
        raise ServiceError(
            _("A round evaluates two cities or more."), code="too_few_cities", field="cities"
        )
    before = snapshot(evaluation_round, ROUND_FIELDS)
    evaluation_round.status = RoundStatus.OPEN
    evaluation_round.save()
    _written, refusals = _refresh(evaluation_round)
    record(
        "evaluation.round.opened",
        actor=actor,
        obj=evaluation_round,
        before=before,
        after=snapshot(evaluation_round, ROUND_FIELDS),
        reason="; ".join(refusals),
    )
    return evaluation_round


@transaction.atomic
def close_round(actor: Any, evaluation_round: EvaluationRound) -> EvaluationRound:
    """Close the round: the system's values are computed a last time and every value is final.
    Submissions awaiting review must be approved or returned first; what is not approved by
    then counts as missing."""
    _check_admin(actor)
    evaluation_round = _locked_round(evaluation_round)
    _check_status(evaluation_round, RoundStatus.OPEN)
    waiting = Submission.objects.filter(
        city__evaluation_round=evaluation_round, status=SubmissionStatus.SUBMITTED
    ).count()
    if waiting:
        raise ConflictError(
            _("%(count)s submissions await review: approve or return them first."),
            code="submissions_waiting",
            params={"count": waiting},
        )
    before = snapshot(evaluation_round, ROUND_FIELDS)
    _written, refusals = _refresh(evaluation_round)
    evaluation_round.status = RoundStatus.CLOSED
    evaluation_round.save()
    record(
        "evaluation.round.closed",
        actor=actor,
        obj=evaluation_round,
        before=before,
        after=snapshot(evaluation_round, ROUND_FIELDS),
        reason="; ".join(refusals),
    )
    return evaluation_round


@transaction.atomic
def publish_round(actor: Any, evaluation_round: EvaluationRound) -> EvaluationRound:
    """Publish a closed round's results: its ranking and report become public."""
    _check_admin(actor)
    evaluation_round = _locked_round(evaluation_round)
    _check_status(evaluation_round, RoundStatus.CLOSED)
    before = snapshot(evaluation_round, ROUND_FIELDS)
    evaluation_round.status = RoundStatus.PUBLISHED
    evaluation_round.published_at = timezone.now()
    evaluation_round.save()
    record(
        "evaluation.round.published",
        actor=actor,
        obj=evaluation_round,
        before=before,
        after=snapshot(evaluation_round, ROUND_FIELDS),
    )
    return evaluation_round


# --- values, submissions and review -------------------------------------------------------------


def parse_value(text: Any, indicator: Indicator) -> Decimal | None:
    """A value as typed ("" for none), held to the indicator's rules."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    field = f"value_{indicator.pk}"
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except InvalidOperation:
        raise ServiceError(
            _("%(code)s: “%(value)s” is not a number."),
            code="invalid_number",
            field=field,
            params={"code": indicator.code, "value": text},
        ) from None
    if not value.is_finite() or value < 0 or value >= VALUE_LIMIT:
        raise ServiceError(
            _("%(code)s: a value is a number of zero or more."),
            code="invalid_number",
            field=field,
            params={"code": indicator.code},
        )
    if value != value.quantize(FOUR_PLACES):
        raise ServiceError(
            _("%(code)s: at most four decimals."),
            code="too_precise",
            field=field,
            params={"code": indicator.code},
        )
    if indicator.direction == Direction.LOWER and not indicator.is_bonus and value == 0:
        raise ServiceError(
            _("%(code)s: lower is better here, so the value is above zero."),
            code="zero_lower",
            field=field,
            params={"code": indicator.code},
        )
    if indicator.is_bonus and value > indicator.weight:
        raise ServiceError(
            _("%(code)s: a bonus item gives at most %(weight)s points."),
            code="bonus_limit",
            field=field,
            params={"code": indicator.code, "weight": f"{indicator.weight.normalize():f}"},
        )
    return value.quantize(FOUR_PLACES)


def leaves_of(evaluation_round: EvaluationRound, source: str) -> list[Indicator]:
    """The round's leaves of a source, in the tree's order (1.1.1, 1.2, 2.1 …, bonus last)."""
    indicators = list(Indicator.objects.filter(evaluation_round=evaluation_round))
    parents = {i.parent_id for i in indicators}
    return [i for i in tree_order(indicators) if i.pk not in parents and i.source == source]


def _write_values(
    actor: Any, city: EvaluatedCity, source: str, values: Mapping[int, Any], action: str
) -> int:
    indicators = {i.pk: i for i in leaves_of(city.evaluation_round, source)}
    for pk in values:
        if pk not in indicators:
            raise ServiceError(
                _("This indicator is not entered here."), code="invalid", field=f"value_{pk}"
            )
    parsed = {pk: parse_value(text, indicators[pk]) for pk, text in values.items()}
    current = {
        v.indicator_id: v.value
        for v in IndicatorValue.objects.filter(city=city, indicator__in=list(indicators))
    }
    now = timezone.now()
    changed = {}
    for pk, value in parsed.items():
        if pk in current and current[pk] == value:
            continue
        IndicatorValue.objects.update_or_create(
            city=city, indicator_id=pk, defaults={"value": value, "updated_at": now}
        )
        changed[indicators[pk].code] = value
    if changed:
        record(
            action,
            actor=actor,
            obj=city,
            before={indicators[pk].code: current.get(pk) for pk in parsed if pk in current},
            after=changed,
        )
    return len(changed)


def _locked_submission(city: EvaluatedCity) -> Submission:
    return Submission.objects.select_for_update().get(city=city)


@transaction.atomic
def save_values(actor: Any, city: EvaluatedCity, values: Mapping[int, Any]) -> int:
    """The city's evaluator saves values of its form (indicator pk → value); returns how many
    changed. A submission awaiting review or approved is not edited."""
    _check_evaluator(actor, city)
    _check_status(_locked_round(city.evaluation_round), RoundStatus.OPEN)
    submission = _locked_submission(city)
    if not submission.editable:
        raise ConflictError(
            _("This submission is with the ministry: it can be edited once returned."),
            code="submission_locked",
        )
    return _write_values(actor, city, Source.SUBMITTED, values, "evaluation.submission.saved")


@transaction.atomic
def submit(actor: Any, city: EvaluatedCity) -> Submission:
    """The evaluator sends the form to the ministry: every indicator of the form except bonus
    items has its value."""
    _check_evaluator(actor, city)
    _check_status(_locked_round(city.evaluation_round), RoundStatus.OPEN)
    submission = _locked_submission(city)
    if not submission.editable:
        raise ConflictError(
            _("This submission is with the ministry already."), code="submission_locked"
        )
    filled = set(
        IndicatorValue.objects.filter(city=city, value__isnull=False).values_list(
            "indicator_id", flat=True
        )
    )
    empty = [
        i.code
        for i in leaves_of(city.evaluation_round, Source.SUBMITTED)
        if not i.is_bonus and i.pk not in filled
    ]
    if empty:
        raise ServiceError(
            _("Fill every indicator before submitting: %(codes)s."),
            code="incomplete",
            params={"codes": ", ".join(empty)},
        )
    before = snapshot(submission, SUBMISSION_FIELDS)
    submission.status = SubmissionStatus.SUBMITTED
    submission.submitted_at = timezone.now()
    submission.submitted_by = actor
    submission.save()
    record(
        "evaluation.submission.submitted",
        actor=actor,
        obj=submission,
        before=before,
        after=snapshot(submission, SUBMISSION_FIELDS),
    )
    return submission


def _review(actor: Any, city: EvaluatedCity) -> Submission:
    _check_admin(actor)
    _check_status(_locked_round(city.evaluation_round), RoundStatus.OPEN)
    submission = _locked_submission(city)
    if submission.status != SubmissionStatus.SUBMITTED:
        raise ConflictError(
            _("Only a submitted form is approved or returned."), code="not_submitted"
        )
    return submission


@transaction.atomic
def approve(actor: Any, city: EvaluatedCity) -> Submission:
    """The ministry accepts the city's values: they count in the scores."""
    submission = _review(actor, city)
    before = snapshot(submission, SUBMISSION_FIELDS)
    submission.status = SubmissionStatus.APPROVED
    submission.reviewed_at = timezone.now()
    submission.reviewed_by = actor
    submission.return_reason = ""
    submission.save()
    record(
        "evaluation.submission.approved",
        actor=actor,
        obj=submission,
        before=before,
        after=snapshot(submission, SUBMISSION_FIELDS),
    )
    return submission


@transaction.atomic
def return_submission(actor: Any, city: EvaluatedCity, reason: str) -> Submission:
    """The ministry sends the form back to the city with its reason."""
    submission = _review(actor, city)
    reason = reason.strip()
    if not reason:
        raise ServiceError(
            _("A returned submission says why."), code="reason_required", field="reason"
        )
    before = snapshot(submission, SUBMISSION_FIELDS)
    submission.status = SubmissionStatus.RETURNED
    submission.reviewed_at = timezone.now()
    submission.reviewed_by = actor
    submission.return_reason = reason
    submission.save()
    record(
        "evaluation.submission.returned",
        actor=actor,
        obj=submission,
        before=before,
        after=snapshot(submission, SUBMISSION_FIELDS),
        reason=reason,
    )
    return submission


@transaction.atomic
def save_external_values(actor: Any, city: EvaluatedCity, values: Mapping[int, Any]) -> int:
    """The ministry enters a city's values of external indicators (statistical bulletins …)."""
    _check_admin(actor)
    _check_status(_locked_round(city.evaluation_round), RoundStatus.OPEN)
    return _write_values(actor, city, Source.EXTERNAL, values, "evaluation.values.entered")
