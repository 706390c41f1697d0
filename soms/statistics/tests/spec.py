"""statistics-rules.md recomputed in plain Python, from what a test filed and decided — no code
of the engine is used. ``World`` is what counts: the enterprises, the records with their final
values and whether they count (approved), the rates and the dated reference lists.

The reference lists (NBS regions, demonstration cities, counterpart groups) are read from the
reference files the rules name (``shared/reference/``, shipped in the package)."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

from django.conf import settings

MUNICIPALITIES = {"110000", "120000", "310000", "500000"}
MONEY = (
    "contract_value",
    "contract_count",
    "execution_value",
    "outbound_contract_value",
    "outbound_execution_value",
)
ENTERPRISE = (
    "enterprises_registered",
    "enterprises_active",
    "employees",
    "employees_college",
    "new_hires",
    "new_hires_college",
)
FIRM_DIMS = ("province", "city", "district", "nbs_region", "demonstration_city", "ownership")
RECORD_DIMS = ("category_l1", "category", "flow", "counterpart_country", "counterpart_group")
ALL_DIMS = (*FIRM_DIMS, *RECORD_DIMS, "month")


def _reference(name: str) -> list[dict[str, str]]:
    path = Path(settings.SOMS_REFERENCE_DIR) / name
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


NBS = {r["province_code"]: r["nbs_region"] for r in _reference("regions.csv")}
# "A city counts as a demonstration city for periods on or after its designation"; the seed
# list gives the batch year, which counts from 1 January.
DEMONSTRATION = {
    r["division_code"]: dt.date(int(r["demonstration_batch"]), 1, 1)
    for r in _reference("demonstration-cities.csv")
    if r["demonstration_batch"]
}
GROUPS: list[tuple[str, str, dt.date | None, dt.date | None]] = []
for _row in _reference("country-groups.csv"):
    if _row["group"] == "GBA_MAINLAND_CITIES":
        continue  # cities, not countries
    _since = None
    if _row["note"].startswith("membership since "):
        _since = dt.date.fromisoformat(_row["note"].removeprefix("membership since "))
    GROUPS.extend((_row["group"], c, _since, None) for c in _row["members_iso3166_alpha2"].split())


# --- units --------------------------------------------------------------------------------------


def province_of(division: str) -> str:
    return division[:2] + "0000"


def city_of(division: str) -> str:
    """The 4-digit prefix + 00; a municipality is its own city, and so is an ``xx90xx`` county."""
    if province_of(division) in MUNICIPALITIES:
        return province_of(division)
    if division[2:4] == "90":
        return division
    return division[:4] + "00"


def flow_of(country: str) -> str:
    return "onshore" if country == "CN" else "offshore"  # HK, MO and TW are offshore


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    return next_month(month) - dt.timedelta(days=1)


def months(start: dt.date, end: dt.date) -> list[dt.date]:
    found, month = [], start
    while month <= end:
        found.append(month)
        month = next_month(month)
    return found


def year_before(month: dt.date) -> dt.date:
    return month.replace(year=month.year - 1)


def half_up(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def yoy(value: Decimal, previous: Decimal | None) -> Decimal | None:
    """(v − v_prev) / v_prev × 100, half-up to 1 decimal; empty when v_prev is 0 or absent."""
    if previous is None or previous == 0:
        return None
    with localcontext() as context:
        context.prec = 60
        return half_up((value - previous) / previous * 100, "0.1")


# --- what was filed -----------------------------------------------------------------------------


@dataclass
class Firm:
    pk: int
    division: str
    ownership: str
    registered_on: dt.date | None = dt.date(2020, 1, 1)
    deregistered_on: dt.date | None = None

    def registered_at(self, day: dt.date) -> bool:
        """Registration approved and not deregistered at ``day``."""
        return (
            self.registered_on is not None
            and self.registered_on <= day
            and not (self.deregistered_on is not None and self.deregistered_on <= day)
        )


@dataclass
class Amend:
    effective_on: dt.date
    new_amount: Decimal
    counts: bool


@dataclass
class Exec:
    executed_on: dt.date
    currency: str
    amount: Decimal
    counts: bool


@dataclass
class Deal:
    firm: int
    direction: str
    country: str
    category: str
    currency: str
    amount: Decimal
    signed_on: dt.date
    counts: bool
    amendments: list[Amend] = field(default_factory=list)
    executions: list[Exec] = field(default_factory=list)


@dataclass
class Staff:
    firm: int
    month: dt.date
    employees: int
    employees_college: int
    new_hires: int
    new_hires_college: int
    counts: bool


@dataclass
class World:
    firms: dict[int, Firm] = field(default_factory=dict)
    deals: list[Deal] = field(default_factory=list)
    staff: list[Staff] = field(default_factory=list)
    rates: dict[tuple[dt.date, str], Decimal] = field(default_factory=dict)
    # Designations and memberships the test added to the seed lists.
    designations: dict[str, dt.date] = field(default_factory=dict)
    memberships: list[tuple[str, str, dt.date | None, dt.date | None]] = field(default_factory=list)

    # --- dimensions -----------------------------------------------------------------------

    def demonstration(self, city: str, month: dt.date) -> str:
        dates = [d for d in (DEMONSTRATION.get(city), self.designations.get(city)) if d]
        return "yes" if dates and min(dates) <= month else "no"

    def firm_values(self, pk: int, month: dt.date) -> dict[str, list[str]]:
        firm = self.firms[pk]
        province, city = province_of(firm.division), city_of(firm.division)
        return {
            "province": [province],
            "city": [city],
            "district": [firm.division],
            "nbs_region": [NBS[province]],
            "demonstration_city": [self.demonstration(city, month)],
            "ownership": [firm.ownership],
            "month": [f"{month:%Y-%m}"],
        }

    def groups(self, country: str, day: dt.date) -> list[str]:
        return sorted(
            {
                group
                for group, member, start, end in (*GROUPS, *self.memberships)
                if member == country
                and (start is None or start <= day)
                and (end is None or day <= end)
            }
        )

    def record_values(self, category: str, country: str, day: dt.date) -> dict[str, list[str]]:
        return {
            "category_l1": [category[:3]],  # the seed catalogue's leaves sit under ITO/BPO/KPO
            "category": [category],
            "flow": [flow_of(country)],
            "counterpart_country": [country],
            "counterpart_group": self.groups(country, day),
        }

    # --- money ----------------------------------------------------------------------------

    def convert(self, amount: Decimal, currency: str, day: dt.date) -> tuple[Decimal, Decimal]:
        """CNY value = amount x cny_per_unit; USD value = CNY value / cny_per_unit(USD); both
        at the month's rates, full precision."""
        month = month_of(day)
        rate = Decimal(1) if currency == "CNY" else self.rates[(month, currency)]
        with localcontext() as context:
            context.prec = 60
            cny = amount * rate
            return cny, cny / self.rates[(month, "USD")]

    def money_items(self, measure: str) -> Iterator[tuple[Deal, dt.date, Decimal, Decimal]]:
        """(contract, dated on, CNY value, USD value) of every counted record of ``measure``."""
        direction = "outbound" if measure.startswith("outbound_") else "inbound"
        for deal in self.deals:
            if not deal.counts or deal.direction != direction:
                continue
            if measure == "contract_count":
                yield deal, deal.signed_on, Decimal(1), Decimal(1)
            elif measure.endswith("contract_value"):
                yield (
                    deal,
                    deal.signed_on,
                    *self.convert(deal.amount, deal.currency, deal.signed_on),
                )
                in_force = deal.amount
                for a in sorted(
                    (a for a in deal.amendments if a.counts), key=lambda a: a.effective_on
                ):
                    delta, in_force = a.new_amount - in_force, a.new_amount
                    yield deal, a.effective_on, *self.convert(delta, deal.currency, a.effective_on)
            else:
                for x in deal.executions:
                    if x.counts:
                        yield (
                            deal,
                            x.executed_on,
                            *self.convert(x.amount, x.currency, x.executed_on),
                        )

    # --- cells ----------------------------------------------------------------------------

    def cells(
        self,
        measure: str,
        start: dt.date,
        end: dt.date,
        currency: str = "CNY",
        by: tuple[str, ...] = (),
        flow: str | None = None,
        where: dict[str, set[str]] | None = None,
    ) -> dict[tuple[str, ...], dict[int, Decimal]]:
        """Each row's parts by enterprise (unrounded)."""
        where = where or {}
        cells: dict[tuple[str, ...], dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))

        def add(values: dict[str, list[str]], firm: int, value: Decimal) -> None:
            if not all(set(values[d]) & allowed for d, allowed in where.items()):
                return
            # A filter on a dimension also narrows that dimension's rows (a record in ASEAN
            # and RCEP filtered to ASEAN counts in the ASEAN row only).
            choices = [[v for v in values[d] if d not in where or v in where[d]] for d in by]
            for combo in itertools.product(*choices):
                cells[combo][firm] += value

        if measure in MONEY:
            for deal, day, cny, usd in self.money_items(measure):
                if not start <= month_of(day) <= end:
                    continue
                if flow and flow_of(deal.country) != flow:
                    continue
                values = self.firm_values(deal.firm, month_of(day))
                values.update(self.record_values(deal.category, deal.country, day))
                add(values, deal.firm, usd if currency == "USD" else cny)
            return cells

        periods = [(m, m) for m in months(start, end)] if "month" in by else [(start, end)]
        for first, last in periods:
            close = month_end(last)
            if measure == "enterprises_registered":
                for firm in self.firms.values():
                    if firm.registered_at(close):
                        add(self.firm_values(firm.pk, last), firm.pk, Decimal(1))
            elif measure == "enterprises_active":
                active = {
                    deal.firm
                    for deal in self.deals
                    if deal.counts
                    and (
                        first <= month_of(deal.signed_on) <= last
                        or any(
                            x.counts and first <= month_of(x.executed_on) <= last
                            for x in deal.executions
                        )
                    )
                }
                for pk in active:
                    if self.firms[pk].registered_at(close):
                        add(self.firm_values(pk, last), pk, Decimal(1))
            elif measure in ("employees", "employees_college"):
                latest: dict[int, Staff] = {}
                for report in sorted(self.staff, key=lambda s: s.month):
                    if report.counts and report.month <= last:
                        latest[report.firm] = report
                for pk, report in latest.items():
                    if self.firms[pk].registered_at(close):
                        add(self.firm_values(pk, last), pk, Decimal(getattr(report, measure)))
            else:
                for report in self.staff:
                    if report.counts and first <= report.month <= last:
                        # Dated by the report's month (demonstration status of that month).
                        values = self.firm_values(report.firm, report.month)
                        values["month"] = [f"{last:%Y-%m}"]
                        add(values, report.firm, Decimal(getattr(report, measure)))
        return cells

    def expected(
        self,
        measure: str,
        start: dt.date,
        end: dt.date,
        currency: str = "CNY",
        by: tuple[str, ...] = (),
        flow: str | None = None,
        where: dict[str, set[str]] | None = None,
    ) -> dict[tuple[str, ...], tuple[Decimal, Decimal | None, Decimal | None]]:
        """Row -> (value, value_prev, yoy_pct), as the rules publish them."""
        places = "0.01" if measure in MONEY and measure != "contract_count" else "1"
        now = self.cells(measure, start, end, currency, by, flow, where)
        # The same range a year earlier: a month row compares with the same month a year
        # earlier, and a filter on months moves back a year with the range.
        earlier = dict(where or {})
        if "month" in earlier:
            earlier["month"] = {f"{int(m[:4]) - 1}{m[4:]}" for m in earlier["month"]}
        before = self.cells(
            measure, year_before(start), year_before(end), currency, by, flow, earlier
        )
        if "month" in by:
            at = by.index("month")
            before = {
                (*key[:at], f"{int(key[at][:4]) + 1}{key[at][4:]}", *key[at + 1 :]): parts
                for key, parts in before.items()
            }
        rows = {}
        for key, parts in now.items():
            value = half_up(sum(parts.values(), Decimal(0)), places)
            previous = (
                half_up(sum(before[key].values(), Decimal(0)), places) if key in before else None
            )
            rows[key] = (value, previous, yoy(value, previous))
        return rows


# --- disclosure ---------------------------------------------------------------------------------


def sensitive(parts: dict[int, Decimal]) -> bool | None:
    """Primary suppression: fewer than 3 distinct enterprises contribute, or one contributes
    more than 85% of the cell's value. None (undecided) for a cell that nets negative parts
    against positive ones, where "85% of the value" has no single reading."""
    contributors = [v for v in parts.values() if v != 0]
    if len(contributors) < 3:
        return True
    if any(v < 0 for v in contributors):
        return None
    return max(contributors) > Decimal("0.85") * sum(contributors)
