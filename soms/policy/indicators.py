"""The indicators targets are measured by: one declaration per code, each a function
``(scope, year, params) -> Reading | None``.

``None`` means there is no figure for that year — the system has no records for it and nothing
published covers it — and is never written as zero. A zero is a figure: the system was
running in that year and nothing it counts happened.

Where a figure comes from is part of it (:class:`Reading`): the system's approved records
(through the statistics engine, as every other figure), the reference data (designated
cities), a national figure the ministry published before the system existed (only for national
targets, and only for years without records in the system), or an external series the ministry
uploaded. Flows (values summed over a year) of the current year cover January to the current
month and say so; stocks (counts at a date) of the current year are read on the day.

To add an indicator: write its function and declare it in :data:`INDICATORS` with its unit,
whether it is a stock or a flow, and what it needs (an external series, a threshold).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Min, Q, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from soms.filing.models import TrainingRecord, WorkforceReport
from soms.policy.choices import ScopeLevel, SeriesUnit, Source
from soms.policy.models import ExternalSeries
from soms.reference.loaders import PUBLISHED_PREFIX
from soms.reference.models import CatalogueItem, CityDesignation, ExternalObservation
from soms.registry.choices import INTERNATIONAL_CERTIFICATIONS, CertificationKind, Size
from soms.registry.models import Enterprise
from soms.statistics.engine import Query, compute
from soms.statistics.models import Fact

HUNDRED_MILLION = Decimal(100_000_000)
TEN_THOUSAND = Decimal(10_000)
HUNDRED = Decimal(100)
MATURITY_MODELS = (CertificationKind.CMM, CertificationKind.CMMI)
MEDIUM_OR_LARGER = (Size.LARGE, Size.MEDIUM)
# Units of the published national figures (reference data) in the units indicators use.
PUBLISHED_SCALE = {"USD_100M": Decimal(1), "CNY_100M": Decimal(1), "persons_10k": TEN_THOUSAND}


class Confidential(Exception):
    """The figure exists but disclosure control hides it from the caller (the public)."""


@dataclass(frozen=True)
class Reading:
    """An indicator's figure for a year and where it comes from. ``partial_to`` is the last
    month a flow of a year not over (or not fully covered by the system) sums."""

    year: int
    value: Decimal
    source: str
    partial_to: dt.date | None = None
    partial_from: dt.date | None = None
    note: str = ""
    url: str = ""

    @property
    def partial(self) -> bool:
        return self.partial_to is not None or self.partial_from is not None


@dataclass(frozen=True)
class Params:
    """What a target gives its indicator besides the scope: an external series (services
    exports …) and a threshold (leading enterprises' yearly execution value, in yuan)."""

    series: ExternalSeries | None = None
    threshold: Decimal | None = None


@dataclass(frozen=True)
class Scope:
    """Where (the nation, a province, a city), for whom (``public``: disclosure control as an
    anonymous visitor gets it) and on which day (the current year ends there)."""

    level: str = ScopeLevel.NATIONAL
    division: str | None = None
    public: bool = False
    today: dt.date = field(default_factory=timezone.localdate)
    # Figures read once per evaluation (the published history, a series' values …).
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def national(self) -> bool:
        return self.level == ScopeLevel.NATIONAL

    def enterprises(self) -> Q:
        """The enterprises of the scope, as the statistics engine takes a scope."""
        if self.level == ScopeLevel.PROVINCE:
            return Q(division__province_code=self.division)
        if self.level == ScopeLevel.CITY:
            return Q(division__city_code=self.division)
        return Q()

    def divisions(self, prefix: str = "division") -> Q:
        if self.level == ScopeLevel.PROVINCE:
            return Q(**{f"{prefix}__province_code": self.division})
        if self.level == ScopeLevel.CITY:
            return Q(**{f"{prefix}__city_code": self.division})
        return Q()

    def day(self, year: int) -> dt.date:
        """The day a stock is read on: the year's last day, or today in the current year."""
        return self.today if year >= self.today.year else dt.date(year, 12, 31)

    def months(self, year: int) -> tuple[dt.date, dt.date]:
        """The first and last month a flow of ``year`` sums."""
        if year >= self.today.year:
            return dt.date(year, 1, 1), self.today.replace(day=1)
        return dt.date(year, 1, 1), dt.date(year, 12, 1)

    def remember(self, key: Any, compute: Callable[[], Any]) -> Any:
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]


@dataclass(frozen=True)
class Indicator:
    code: str
    name: Promise
    # The unit figures are in; ``None``: the target's external series' unit.
    unit: Promise | None
    function: Callable[[Scope, int, Params], Reading | None]
    # "stock" (a count at a date) or "flow" (summed over the year: a year not over is partial)
    kind: str
    how: Promise
    missing: Promise
    # The units an external series of the target may have (empty: it needs none).
    series_units: frozenset[str] = frozenset()
    # The unit (SeriesUnit) a benchmark series must have to be compared with the figures.
    benchmark_unit: str = ""
    needs_threshold: bool = False
    # Decimal places figures are rounded to (half-up); ``None``: as the series gives them.
    places: int | None = 0

    def unit_label(self, params: Params) -> str:
        if self.unit is not None:
            return str(self.unit)
        return str(SeriesUnit(params.series.unit).label) if params.series else ""


# --- what the system covers ----------------------------------------------------------------------


def first_filed_month(scope: Scope) -> dt.date | None:
    """The first month of the monthly reporting — the first approved execution or workforce
    report anywhere in the system: before it, the system did not collect figures, and a zero
    would be a false one. (Contracts are not asked: one signed years before it is filed would
    date the system back to its signing.)"""

    def find() -> dt.date | None:
        months = [
            Fact.objects.filter(kind="execution").aggregate(m=Min("month"))["m"],
            WorkforceReport.objects.counting().aggregate(m=Min("month"))["m"],
        ]
        found = [m for m in months if m is not None]
        return min(found) if found else None

    result: dt.date | None = scope.remember("first_filed_month", find)
    return result


def _flow_period(scope: Scope, year: int) -> tuple[dt.date, dt.date, dict[str, Any]] | None:
    """The months the system's flow for ``year`` sums, with what makes it partial; ``None``
    when the system has no records of that year."""
    first = first_filed_month(scope)
    if first is None or year < first.year or year > scope.today.year:
        return None
    start, end = scope.months(year)
    partial: dict[str, Any] = {}
    if first > start:
        start = first
        partial["partial_from"] = first
    if year >= scope.today.year:
        partial["partial_to"] = end
    return start, end, partial


def _engine(
    scope: Scope,
    measure: str,
    start: dt.date,
    end: dt.date,
    *,
    currency: str = "CNY",
    flow: str | None = None,
    where: dict[str, set[str]] | None = None,
) -> Decimal:
    """One figure of the statistics engine over the scope (zero when nothing is counted)."""
    result = compute(
        Query(measure, start, end, currency, (), flow, where or {}),
        scope.enterprises(),
        public=scope.public,
    )
    if not result.rows:
        return Decimal(0)
    row = result.rows[0]
    if row.flag:
        raise Confidential
    return row.value if row.value is not None else Decimal(0)


def _published(scope: Scope, year: int, scope_code: str, measure: str, unit: str) -> Reading | None:
    """The national figure the ministry published for ``year`` (the whole year, else the
    year end), in the indicator's unit; only for national targets."""
    if not scope.national:
        return None

    def load() -> dict[tuple[str, str, str, str], ExternalObservation]:
        return {
            (o.series.scope, o.series.measure, o.series.unit, o.period): o
            for o in ExternalObservation.objects.filter(
                series__code__startswith=PUBLISHED_PREFIX
            ).select_related("series")
        }

    published = scope.remember("published", load)
    for period in (str(year), f"{year}-12"):
        observation = published.get((scope_code, measure, unit, period))
        if observation is not None:
            value = observation.value * PUBLISHED_SCALE.get(unit, Decimal(1))
            return Reading(
                year,
                value,
                Source.PUBLISHED,
                note=observation.series.name,
                url=observation.source_url,
            )
    return None


def _series_values(scope: Scope, series: ExternalSeries) -> dict[int, Any]:
    return scope.remember(("series", series.pk), series.by_year)  # type: ignore[no-any-return]


def _registered(scope: Scope, day: dt.date) -> Any:
    return Enterprise.objects.filter(scope.enterprises()).registered_on(day)


# --- the indicators ------------------------------------------------------------------------------


def designated_cities(scope: Scope, year: int, params: Params) -> Reading | None:
    """Cities designated as base or demonstration cities and not revoked on the day."""
    if not scope.remember("designations", CityDesignation.objects.exists):
        return None
    day = scope.day(year)
    count = (
        CityDesignation.objects.filter(scope.divisions(), designated_on__lte=day)
        .filter(Q(revoked_on__isnull=True) | Q(revoked_on__gt=day))
        .values("division")
        .distinct()
        .count()
    )
    return Reading(year, Decimal(count), Source.REFERENCE)


def external_series(scope: Scope, year: int, params: Params) -> Reading | None:
    if params.series is None:
        return None
    value = _series_values(scope, params.series).get(year)
    if value is None:
        return None
    return Reading(
        year, value.value, Source.EXTERNAL, note=params.series.name, url=params.series.source_url
    )


def _certified(scope: Scope, year: int, certificates: Q, sizes: tuple[str, ...] = ()) -> Any:
    day = scope.day(year)
    registered = _registered(scope, day)
    if not registered.exists():
        return None  # no enterprise registered in the system then: it did not cover that day
    if sizes:
        registered = registered.filter(size__in=sizes)
    # One filter() call: the same certificate is of the kind and valid on the day.
    held = registered.filter(
        certificates, certifications__valid_from__lte=day, certifications__valid_to__gte=day
    )
    return Reading(year, Decimal(held.distinct().count()), Source.SYSTEM)


def international_certified(scope: Scope, year: int, params: Params) -> Reading | None:
    return _certified(
        scope,
        year,
        Q(certifications__kind__in=sorted(INTERNATIONAL_CERTIFICATIONS)),
        MEDIUM_OR_LARGER,
    )


def cmmi_level3(scope: Scope, year: int, params: Params) -> Reading | None:
    return _certified(
        scope,
        year,
        Q(certifications__kind__in=MATURITY_MODELS, certifications__level__gte=3),
    )


def cmmi_level5(scope: Scope, year: int, params: Params) -> Reading | None:
    return _certified(
        scope,
        year,
        Q(certifications__kind__in=MATURITY_MODELS, certifications__level=5),
    )


def trainees(scope: Scope, year: int, params: Params) -> Reading | None:
    period = _flow_period(scope, year)
    if period is None:
        return None
    start, end, partial = period
    count = (
        TrainingRecord.objects.counting()
        .filter(
            enterprise__in=Enterprise.objects.filter(scope.enterprises()),
            period__gte=start,
            period__lte=end,
        )
        .count()
    )
    return Reading(year, Decimal(count), Source.SYSTEM, **partial)


def college_hires(scope: Scope, year: int, params: Params) -> Reading | None:
    period = _flow_period(scope, year)
    if period is None:
        return _published(scope, year, "all", "new_hires_college", "persons_10k")
    start, end, partial = period
    value = _engine(scope, "new_hires_college", start, end)
    return Reading(year, value, Source.SYSTEM, **partial)


def _offshore(scope: Scope, year: int, currency: str) -> Reading | None:
    """Offshore execution value in 100 million of ``currency``."""
    period = _flow_period(scope, year)
    if period is None:
        return _published(scope, year, "offshore", "execution_value", f"{currency}_100M")
    start, end, partial = period
    value = _engine(scope, "execution_value", start, end, currency=currency, flow="offshore")
    return Reading(year, value / HUNDRED_MILLION, Source.SYSTEM, **partial)


def offshore_execution(scope: Scope, year: int, params: Params) -> Reading | None:
    return _offshore(scope, year, "USD")


def _digital_codes(scope: Scope) -> set[str]:
    return scope.remember(  # type: ignore[no-any-return]
        "digital",
        lambda: set(CatalogueItem.objects.filter(digital=True).values_list("code", flat=True)),
    )


def digital_share(scope: Scope, year: int, params: Params) -> Reading | None:
    period = _flow_period(scope, year)
    if period is None:
        return None
    start, end, partial = period
    total = _engine(scope, "execution_value", start, end)
    if not total:
        return None  # a share of nothing is no figure
    digital = _engine(
        scope, "execution_value", start, end, where={"category": _digital_codes(scope)}
    )
    return Reading(year, digital / total * HUNDRED, Source.SYSTEM, **partial)


def offshore_share_of_exports(scope: Scope, year: int, params: Params) -> Reading | None:
    """Offshore execution value as a share of services exports (an external series)."""
    if params.series is None:
        return None
    exports = _series_values(scope, params.series).get(year)
    if exports is None or not exports.value:
        return None
    currency = "USD" if params.series.unit == SeriesUnit.USD_100M else "CNY"
    offshore = _offshore(scope, year, currency)
    if offshore is None:
        return None
    return replace(
        offshore,
        value=offshore.value / exports.value * HUNDRED,
        note=f"{offshore.note} ÷ {params.series.name}".strip(" ÷"),
    )


def output_per_practitioner(scope: Scope, year: int, params: Params) -> Reading | None:
    """Execution value of the year in US dollars per employee at the year's end."""
    period = _flow_period(scope, year)
    if period is None:
        output = _published(scope, year, "all", "execution_value", "USD_100M")
        people = _published(scope, year, "all", "employees", "persons_10k")
        if output is None or people is None or not people.value:
            return None
        return Reading(
            year,
            output.value * HUNDRED_MILLION / people.value,
            Source.PUBLISHED,
            note=f"{output.note} ÷ {people.note}",
            url=output.url,
        )
    start, end, partial = period
    staff = _engine(scope, "employees", start, end)
    if not staff:
        return None
    value = _engine(scope, "execution_value", start, end, currency="USD")
    return Reading(year, value / staff, Source.SYSTEM, **partial)


def leading_enterprises(scope: Scope, year: int, params: Params) -> Reading | None:
    """Enterprises whose execution value of the year reaches the threshold (yuan)."""
    period = _flow_period(scope, year)
    if period is None or params.threshold is None:
        return None
    start, end, partial = period
    count = (
        Fact.objects.filter(
            kind="execution",
            direction="inbound",
            month__gte=start,
            month__lte=end,
            enterprise__in=Enterprise.objects.filter(scope.enterprises()),
        )
        .values("enterprise_id")
        .annotate(total=Sum("value_cny"))
        .filter(total__gte=params.threshold)
        .count()
    )
    return Reading(year, Decimal(count), Source.SYSTEM, **partial)


def employees(scope: Scope, year: int, params: Params) -> Reading | None:
    """Employees at the year's end (today in the current year)."""
    first = first_filed_month(scope)
    if first is None or year < first.year:
        return _published(scope, year, "all", "employees", "persons_10k")
    start, end = scope.months(year)
    return Reading(year, _engine(scope, "employees", start, end), Source.SYSTEM)


NO_RECORDS = _("The system has no records of this year and no published figure covers it.")
NO_REGISTRY = _("No enterprise was registered in the system on this day.")

INDICATORS: dict[str, Indicator] = {
    indicator.code: indicator
    for indicator in (
        Indicator(
            "designated_cities",
            _("Base and demonstration cities"),
            _("cities"),
            designated_cities,
            "stock",
            _(
                "Cities designated as service-outsourcing base or demonstration cities and not "
                "revoked, at the year's end (reference data: designation history)."
            ),
            _("No city designation is loaded in the reference data."),
        ),
        Indicator(
            "external",
            _("External series"),
            None,
            external_series,
            "flow",
            _(
                "The figures of the external series the target names, as uploaded with their "
                "source. The system has no records to derive this indicator from."
            ),
            _("The external series has no figure for this year."),
            series_units=frozenset(SeriesUnit),
            places=None,
        ),
        Indicator(
            "international_certified",
            _("Large and medium enterprises with an international certification"),
            _("enterprises"),
            international_certified,
            "stock",
            _(
                "Registered enterprises of size medium or large holding a certificate valid at "
                "the year's end of CMM, CMMI, PCMM, ISO/IEC 27001, ISO/IEC 20000 or SOC/SAS 70. "
                "The registry keeps an enterprise's present size only, so past years count "
                "enterprises by their size today."
            ),
            NO_REGISTRY,
        ),
        Indicator(
            "cmmi_level3",
            _("Enterprises with CMM/CMMI level 3 or higher"),
            _("enterprises"),
            cmmi_level3,
            "stock",
            _(
                "Registered enterprises holding a CMM or CMMI certificate of level 3, 4 or 5 "
                "valid at the year's end."
            ),
            NO_REGISTRY,
        ),
        Indicator(
            "cmmi_level5",
            _("Enterprises with CMM/CMMI level 5"),
            _("enterprises"),
            cmmi_level5,
            "stock",
            _(
                "Registered enterprises holding a CMM or CMMI level 5 certificate valid at the "
                "year's end."
            ),
            NO_REGISTRY,
        ),
        Indicator(
            "trainees",
            _("People trained"),
            _("persons"),
            trainees,
            "flow",
            _("Approved training records completed in the year (one per trainee and course)."),
            NO_RECORDS,
        ),
        Indicator(
            "college_hires",
            _("College graduates hired"),
            _("persons"),
            college_hires,
            "flow",
            _(
                "New hires with college education in the approved monthly workforce reports "
                "(statistics engine, new_hires_college)."
            ),
            NO_RECORDS,
        ),
        Indicator(
            "offshore_execution",
            _("Offshore execution value"),
            _("100 million US dollars"),
            offshore_execution,
            "flow",
            _(
                "Execution value of contracts with clients outside the mainland (statistics "
                "engine, execution_value, offshore), in US dollars at the monthly rates."
            ),
            NO_RECORDS,
            places=2,
        ),
        Indicator(
            "digital_share",
            _("Share of digital business in execution value"),
            _("per cent"),
            digital_share,
            "flow",
            _(
                "Execution value in catalogue categories flagged digital, as a share of all "
                "execution value (statistics engine, yuan)."
            ),
            NO_RECORDS,
            places=1,
        ),
        Indicator(
            "offshore_share_of_exports",
            _("Offshore execution value as a share of services exports"),
            _("per cent"),
            offshore_share_of_exports,
            "flow",
            _(
                "Offshore execution value (statistics engine, in the series' currency) as a "
                "share of services exports, an external series: the system has no records of "
                "services trade."
            ),
            _("No figure of offshore execution value or of services exports for this year."),
            series_units=frozenset({SeriesUnit.USD_100M, SeriesUnit.CNY_100M}),
            places=1,
        ),
        Indicator(
            "output_per_practitioner",
            _("Output value per practitioner"),
            _("US dollars per person"),
            output_per_practitioner,
            "flow",
            _(
                "Execution value of the year in US dollars divided by employees at the year's "
                "end (statistics engine)."
            ),
            NO_RECORDS,
            benchmark_unit=SeriesUnit.USD_PER_PERSON,
        ),
        Indicator(
            "leading_enterprises",
            _("Leading enterprises"),
            _("enterprises"),
            leading_enterprises,
            "flow",
            _(
                "Enterprises whose execution value of the year reaches the target's threshold "
                "(in yuan, from the statistics engine's facts)."
            ),
            NO_RECORDS,
            needs_threshold=True,
        ),
        Indicator(
            "employees",
            _("Employees"),
            _("persons"),
            employees,
            "stock",
            _(
                "Employees at the year's end in the approved monthly workforce reports "
                "(statistics engine, employees)."
            ),
            NO_RECORDS,
        ),
    )
}


def read(indicator: Indicator, scope: Scope, year: int, params: Params) -> Reading | None:
    """The indicator's figure, rounded half-up to its places (a flow's partial year kept)."""
    reading = indicator.function(scope, year, params)
    if reading is None or indicator.places is None:
        return reading
    return replace(reading, value=rounded(reading.value, indicator.places))


def rounded(value: Decimal, places: int | None) -> Decimal:
    if places is None:
        return value
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
