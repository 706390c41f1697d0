"""A small evaluation for the tests: the 2016 template's first level with one or two leaves
under each indicator (a lower-is-better one, an external one, one computed from the system's
data) and a bonus item; four cities in the three region groups, one of them a candidate."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.evaluation import services
from soms.evaluation.choices import CityKind, Direction, Source
from soms.evaluation.models import EvaluatedCity, EvaluationRound, Indicator
from soms.testing import make_enterprise, make_user

# code: (region group, kind)
CITIES = {
    "320500": ("east", CityKind.DESIGNATED),  # Suzhou
    "420100": ("central_west", CityKind.DESIGNATED),  # Wuhan
    "210200": ("northeast", CityKind.DESIGNATED),  # Dalian
    "320400": ("east", CityKind.CANDIDATE),  # Changzhou, applying
}
# The leaves under the template's first level:
# (code, parent, name, weight, source, direction, formula)
LEAVES = (
    ("1.1", "1", "离岸业务占比", "25", Source.SUBMITTED, Direction.HIGHER, ""),
    ("1.2", "1", "登记企业数", "15", Source.COMPUTED, Direction.HIGHER, "enterprises"),
    ("2.1", "2", "平台数", "15", Source.SUBMITTED, Direction.HIGHER, ""),
    ("3.1", "3", "培训人数", "20", Source.SUBMITTED, Direction.HIGHER, ""),
    ("4.1", "4", "写字楼租金", "10", Source.SUBMITTED, Direction.LOWER, ""),
    ("5.1", "5", "专项资金", "15", Source.EXTERNAL, Direction.HIGHER, ""),
)
# Each city's own figures (1.1, 2.1, 3.1, 4.1, bonus B1) and the ministry's external one (5.1).
OWN = {
    "320500": {"1.1": "60", "2.1": "12", "3.1": "9000", "4.1": "180", "B1": "3"},
    "420100": {"1.1": "45", "2.1": "8", "3.1": "12000", "4.1": "90", "B1": "0"},
    "210200": {"1.1": "70", "2.1": "5", "3.1": "4000", "4.1": "75", "B1": "1.5"},
    "320400": {"1.1": "30", "2.1": "6", "3.1": "3000", "4.1": "60"},
}
EXTERNAL = {"320500": "8000", "420100": "5000", "210200": "3000", "320400": "2000"}


@dataclass
class World:
    admin: User
    round: EvaluationRound
    evaluators: dict[str, User] = field(default_factory=dict)

    def indicator(self, code: str) -> Indicator:
        return Indicator.objects.get(evaluation_round=self.round, code=code)

    def city(self, code: str) -> EvaluatedCity:
        return EvaluatedCity.objects.get(evaluation_round=self.round, division_id=code)

    def own_values(self, code: str) -> dict[int, Any]:
        return {self.indicator(k).pk: v for k, v in OWN[code].items()}

    def fill(self, code: str, *, approve: bool = True) -> None:
        city = self.city(code)
        services.save_values(self.evaluators[code], city, self.own_values(code))
        services.submit(self.evaluators[code], city)
        services.save_external_values(self.admin, city, {self.indicator("5.1").pk: EXTERNAL[code]})
        if approve:
            services.approve(self.admin, city)


def build_round(admin: User, name: str = "2025年度测试评价", year: int = 2025) -> EvaluationRound:
    evaluation_round = services.create_round(
        admin, name_zh=name, name_en="Test evaluation", year=year, template="2016"
    )
    for code, parent, zh, weight, source, direction, formula in LEAVES:
        added = services.add_indicator(
            admin,
            evaluation_round,
            parent=Indicator.objects.get(evaluation_round=evaluation_round, code=parent),
            name_zh=zh,
            weight=Decimal(weight),
            source=source,
            direction=direction,
            formula=formula,
        )
        assert added.code == code
    services.add_indicator(
        admin, evaluation_round, name_zh="国家级试点（加分）", weight=Decimal(3), is_bonus=True
    )
    for code, (_group, kind) in CITIES.items():
        services.add_city(admin, evaluation_round, code, kind)
    return evaluation_round


def evaluators() -> dict[str, User]:
    return {
        code: make_user(Role.CITY_EVALUATOR, division=code, username=f"eval-{code}")
        for code in CITIES
    }


@pytest.fixture
def world(db: Any) -> World:
    """The round open, Suzhou with one registered enterprise (the computed indicator)."""
    make_enterprise("320508")
    admin = make_user(Role.MINISTRY_ADMIN, username="admin")
    evaluation_round = build_round(admin)
    services.open_round(admin, evaluation_round)
    return World(admin, evaluation_round, evaluators())


def publish(world: World) -> None:
    for code in CITIES:
        world.fill(code)
    services.close_round(world.admin, world.round)
    services.publish_round(world.admin, world.round)
    world.round.refresh_from_db()
