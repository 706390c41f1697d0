"""The demo's evaluation: a complete, published round over the last full year for the 37
demonstration cities and five candidate cities, and a few decisions of dynamic management.

Everything goes through :mod:`soms.evaluation.services`, as the people would: the ministry
administrator records the applications, creates the round from the 2016 template, adds its
indicators and cities and opens it; each city's evaluator (``evaluator-sz`` for Suzhou, and
``evaluator-<code>`` for the others, created here) fills and submits its form; the ministry
enters the external values, returns Suzhou's form once (a wrong unit), approves every form,
closes and publishes the round; then it warns the last designated city, gives the one before it
a rectification period and designates the best candidate.

The system's indicators are computed from the demo's enterprises, which are in ten of the
demonstration cities and four candidates: the other cities have 0 for them (they filed nothing),
as the round's note says. The cities' own figures are invented (seeded, so every build gives
the same round).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.core.context import acting_from
from soms.demo.officials import CHANNEL, create_official
from soms.evaluation import services
from soms.evaluation.choices import CityKind, DecisionKind, Direction, Source
from soms.evaluation.models import CandidateCity, EvaluatedCity, EvaluationRound, Indicator
from soms.evaluation.results import Results
from soms.reference.models import Division

ADMIN = "ministry-admin"
EVALUATOR_PREFIX = "evaluator-"
SEED = 2026
# An indicator gives at most twice its weight: the demo's enterprises are in a few cities, and a
# city with most of them would otherwise score its share of the national total times the weight.
CAP = Decimal(2)
# Cities applying (申请城市): four of them have demo enterprises.
CANDIDATES = ("320400", "440400", "330400", "510700", "530100")
# Cities of the first batches, and the largest, start stronger.
STRENGTH = {
    "310000": 1.6,
    "110000": 1.6,
    "440300": 1.5,
    "320500": 1.4,
    "330100": 1.35,
    "320100": 1.3,
    "440100": 1.3,
    "510100": 1.25,
    "210200": 1.2,
    "610100": 1.15,
    "420100": 1.15,
}


def round_name(year: int) -> str:
    return f"{year}年度服务外包示范城市综合评价"


@dataclass(frozen=True)
class Planned:
    """An indicator of the demo round under its parent (first level: the 2016 template's codes
    1–5; None: a bonus item), with the typical value of a city's own figure."""

    parent: str | None
    name_zh: str
    name_en: str
    weight: str
    source: str = Source.SUBMITTED
    direction: str = Direction.HIGHER
    formula: str = ""
    unit: str = ""
    base: float = 0


C, E, LOWER = Source.COMPUTED, Source.EXTERNAL, Direction.LOWER
TREE = (
    Planned("1", "产业规模", "Scale of the industry", "15"),
    Planned(
        "1.1",
        "离岸服务外包执行额",
        "Offshore execution",
        "8",
        C,
        formula="offshore_execution_usd",
        unit="美元",
    ),
    Planned("1.1", "服务外包执行额", "Execution", "7", C, formula="execution_cny", unit="元"),
    Planned(
        "1",
        "在系统登记的企业数",
        "Enterprises registered",
        "10",
        C,
        formula="enterprises",
        unit="家",
    ),
    Planned(
        "1",
        "服务外包增加值占服务业增加值比重",
        "Outsourcing's share of services value added",
        "15",
        unit="%",
        base=6.0,
    ),
    Planned(
        "2",
        "获国际资质认证企业数",
        "Enterprises with international certifications",
        "5",
        unit="家",
        base=60,
    ),
    Planned("2", "公共服务平台数", "Public service platforms", "5", unit="个", base=8),
    Planned(
        "2",
        "服务外包园区载体面积",
        "Floor space of outsourcing parks",
        "5",
        unit="万平方米",
        base=120,
    ),
    Planned("3", "从业人员数", "Employees", "8", C, formula="employees", unit="人"),
    Planned(
        "3",
        "新招用大学毕业生数",
        "College graduates hired",
        "6",
        C,
        formula="new_hires_college",
        unit="人",
    ),
    Planned("3", "培训机构年培训人数", "Persons trained in the year", "6", unit="人", base=9000),
    Planned(
        "4",
        "甲级写字楼平均租金",
        "Average rent of grade-A offices",
        "5",
        direction=LOWER,
        unit="元/平方米·月",
        base=150,
    ),
    Planned(
        "4",
        "城镇非私营单位平均工资",
        "Average wage in urban non-private units",
        "5",
        E,
        LOWER,
        unit="元",
        base=110000,
    ),
    Planned("5", "地方服务外包专项资金", "Local outsourcing fund", "8", unit="万元", base=5000),
    Planned(
        "5", "出台支持政策文件数", "Supporting policy documents issued", "7", unit="件", base=6
    ),
    Planned(None, "国家级试点示范（加分）", "National pilot programmes (bonus)", "3", unit="分"),
    Planned(None, "重大创新举措（加分）", "Major innovations (bonus)", "2", E, unit="分"),
)


def _tree(admin: User, evaluation_round: EvaluationRound) -> None:
    for planned in TREE:
        parent = (
            Indicator.objects.get(evaluation_round=evaluation_round, code=planned.parent)
            if planned.parent
            else None
        )
        services.add_indicator(
            admin,
            evaluation_round,
            parent=parent,
            name_zh=planned.name_zh,
            name_en=planned.name_en,
            weight=Decimal(planned.weight),
            is_bonus=parent is None,
            direction=planned.direction,
            source=planned.source,
            formula=planned.formula,
            unit=planned.unit,
        )


def _evaluator(code: str) -> User:
    existing = User.objects.filter(role=Role.CITY_EVALUATOR, division_id=code).order_by("pk")
    user = existing.first()
    if user is not None:
        return user
    name = Division.objects.get(code=code).name_zh
    return create_official(
        username=f"{EVALUATOR_PREFIX}{code}",
        role=Role.CITY_EVALUATOR,
        division=code,
        display_name=f"{name}示范城市评价填报员",
    )


def _value(rng: random.Random, base: float, strength: float, lower: bool, unit: str) -> Decimal:
    spread = rng.lognormvariate(0, 0.25)
    # Stronger cities have more of everything, their costs (rents, wages) included.
    value = base * (strength**0.5 if lower else strength) * spread
    places = Decimal("0.01") if unit in ("%", "元/平方米·月") else Decimal(1)
    return max(Decimal(str(value)).quantize(places), places)


def _bonus(rng: random.Random, weight: Decimal, strength: float) -> Decimal:
    chance = 0.2 + 0.4 * (strength - 0.8)
    return Decimal(rng.randint(1, int(weight))) if rng.random() < chance else Decimal(0)


def _values(
    city: EvaluatedCity, source: str, indicators: list[Indicator], seed: int
) -> dict[int, Any]:
    rng = random.Random(f"{seed}-{city.division_id}-{source}")
    strength = STRENGTH.get(city.division_id, 1.0) * (
        0.8 if city.kind == CityKind.CANDIDATE else 1.0
    )
    bases = {planned.name_zh: planned.base for planned in TREE}
    out: dict[int, Any] = {}
    for indicator in indicators:
        if indicator.is_bonus:
            out[indicator.pk] = _bonus(rng, indicator.weight, strength)
        else:
            base = bases[indicator.name_zh]
            lower = indicator.direction == Direction.LOWER
            out[indicator.pk] = _value(rng, base, strength, lower, indicator.unit)
    return out


def build_demo_evaluation(now: dt.datetime, seed: int = SEED) -> int:
    """Build the demo round (once: a second call finds it and does nothing); returns the number
    of cities evaluated, 0 when nothing was built (the round exists, or no ministry
    administrator does yet)."""
    admin = User.objects.filter(username=ADMIN, role=Role.MINISTRY_ADMIN).first()
    year = now.year - 1
    if admin is None or EvaluationRound.objects.filter(name_zh=round_name(year)).exists():
        return 0
    with transaction.atomic(), acting_from(None, CHANNEL):
        return _build(admin, year, now.date(), seed)


def _build(admin: User, year: int, today: dt.date, seed: int) -> int:
    for n, code in enumerate(CANDIDATES):
        if not CandidateCity.objects.filter(division_id=code).exists():
            services.add_candidate(
                admin,
                division=code,
                applied_on=dt.date(year, 3, 10 + n),
                document=f"{Division.objects.get(code=code).name_zh}人民政府申请函",
            )
    evaluation_round = services.create_round(
        admin,
        name_zh=round_name(year),
        name_en=f"Comprehensive evaluation of the demonstration cities, {year}",
        year=year,
        note="演示数据：系统计算的指标只来自演示企业（分布在十个示范城市和四个申请城市），"
        "其他城市这些指标为0；城市填报和外部数据为虚构。",
        template="2016",
        cap=CAP,
    )
    _tree(admin, evaluation_round)
    services.add_demonstration_cities(admin, evaluation_round)
    services.open_round(admin, evaluation_round)
    cities = list(
        EvaluatedCity.objects.filter(evaluation_round=evaluation_round).order_by("division_id")
    )
    submitted = services.leaves_of(evaluation_round, Source.SUBMITTED)
    external = services.leaves_of(evaluation_round, Source.EXTERNAL)
    for city in cities:
        evaluator = _evaluator(city.division_id)
        values = _values(city, Source.SUBMITTED, submitted, seed)
        if city.division_id == "320500":
            # Suzhou first types the parks' floor space in square metres, not 10,000 m².
            park = next(i for i in submitted if i.unit == "万平方米")
            right = values[park.pk]
            services.save_values(evaluator, city, {**values, park.pk: right * 10000})
            services.submit(evaluator, city)
            services.return_submission(
                admin, city, "服务外包园区载体面积的单位是万平方米，请核对后重新报送。"
            )
            services.save_values(evaluator, city, {park.pk: right})
        else:
            services.save_values(evaluator, city, values)
        services.submit(evaluator, city)
        services.save_external_values(admin, city, _values(city, Source.EXTERNAL, external, seed))
        services.approve(admin, city)
    services.close_round(admin, evaluation_round)
    services.publish_round(admin, evaluation_round)
    _decisions(admin, evaluation_round, today)
    return len(cities)


def _decisions(admin: User, evaluation_round: EvaluationRound, today: dt.date) -> None:
    results = Results(evaluation_round)
    designated = results.kind_lines(CityKind.DESIGNATED)
    candidates = results.kind_lines(CityKind.CANDIDATE)
    last, before_last = designated[-1], designated[-2]
    services.record_decision(
        admin,
        division=last.city.division_id,
        kind=DecisionKind.WARNING,
        decided_on=today,
        document=f"商服贸函〔{today.year}〕演示1号",
        reason=f"{evaluation_round.name}中综合得分{last.score.shown}，居示范城市末位。",
        evaluation_round=evaluation_round,
    )
    services.record_decision(
        admin,
        division=before_last.city.division_id,
        kind=DecisionKind.RECTIFICATION,
        decided_on=today,
        document=f"商服贸函〔{today.year}〕演示2号",
        reason=f"{evaluation_round.name}中综合得分{before_last.score.shown}，"
        "产业发展指标低于平均水平，限期一年整改。",
        rectify_until=today.replace(year=today.year + 1),
        evaluation_round=evaluation_round,
    )
    if candidates:
        best = candidates[0]
        services.record_decision(
            admin,
            division=best.city.division_id,
            kind=DecisionKind.DESIGNATION,
            decided_on=today,
            document=f"商服贸函〔{today.year}〕演示3号",
            reason=f"申请城市中综合得分最高（{best.score.shown}），认定为中国服务外包示范城市。",
            evaluation_round=evaluation_round,
        )
