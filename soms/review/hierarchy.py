"""The jurisdictions that sign a month off, bottom to top: district → city → province → nation.

A *unit* is (level, division code) — the nation has no code. The district units are the divisions
where enterprises register; a city unit is a prefecture-level city, a municipality, or a county
administered by its province; a municipality is both a city unit and a province unit under the
same code. A unit takes part in a month only when enterprises are registered in it at the month's
end (the expected reporters): a district with none has nothing to sign.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Q, QuerySet

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.filing.calendar import next_month
from soms.reference.models import Division
from soms.registry.models import Enterprise
from soms.review.choices import Level


@dataclass(frozen=True)
class Unit:
    level: str
    code: str | None  # None for the nation

    def enterprise_filter(self, prefix: str = "") -> Q:
        field = f"{prefix}division"
        match self.level:
            case Level.COUNTY:
                return Q(**{f"{field}_id": self.code})
            case Level.CITY:
                return Q(**{f"{field}__city_code": self.code})
            case Level.PROVINCE:
                return Q(**{f"{field}__province_code": self.code})
        return Q()


def unit_of(user: User) -> Unit | None:
    """The unit a user signs off for."""
    if user.role == Role.DISTRICT_REVIEWER:
        return Unit(Level.COUNTY, user.division_id)
    if user.role == Role.CITY_REVIEWER:
        return Unit(Level.CITY, user.division_id)
    if user.role == Role.PROVINCE_REVIEWER:
        return Unit(Level.PROVINCE, user.division_id)
    if user.is_ministry:
        return Unit(Level.NATION, None)
    return None


def month_end(period: dt.date) -> dt.date:
    return next_month(period) - dt.timedelta(days=1)


def expected_reporters(period: dt.date, unit: Unit) -> QuerySet[Enterprise]:
    """Enterprises registered (and not deregistered) at the month's end in the unit."""
    return Enterprise.objects.registered_on(month_end(period)).filter(unit.enterprise_filter())


CHILD_LEVEL = {Level.CITY: Level.COUNTY, Level.PROVINCE: Level.CITY, Level.NATION: Level.PROVINCE}
CHILD_FIELD = {
    Level.COUNTY: "division_id",
    Level.CITY: "division__city_code",
    Level.PROVINCE: "division__province_code",
}


def children(period: dt.date, unit: Unit) -> list[Unit]:
    """The units directly below ``unit`` that have expected reporters in the month."""
    if unit.level == Level.COUNTY:
        return []
    child_level = CHILD_LEVEL[Level(unit.level)]
    codes = (
        expected_reporters(period, unit)
        .values_list(CHILD_FIELD[child_level], flat=True)
        .distinct()
        .order_by(CHILD_FIELD[child_level])
    )
    return [Unit(child_level, code) for code in codes]


@lru_cache(maxsize=8192)
def city_of(district: str) -> str:
    """A district's city code; divisions are reference data, so the answer is kept."""
    return Division.objects.values_list("city_code", flat=True).get(code=district)


def chain(unit: Unit) -> list[Unit]:
    """``unit`` and every unit above it, bottom to top."""
    if unit.level == Level.NATION:
        return [unit]
    assert unit.code is not None
    province = unit.code[:2] + "0000"
    if unit.level == Level.PROVINCE:
        return [unit, Unit(Level.NATION, None)]
    if unit.level == Level.CITY:
        return [unit, Unit(Level.PROVINCE, province), Unit(Level.NATION, None)]
    city = city_of(unit.code)
    return [unit, Unit(Level.CITY, city), Unit(Level.PROVINCE, province), Unit(Level.NATION, None)]


def rank(level: str) -> int:
    return [Level.COUNTY, Level.CITY, Level.PROVINCE, Level.NATION].index(Level(level))
