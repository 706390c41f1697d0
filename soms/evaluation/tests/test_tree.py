"""The indicator tree's rules: at most three levels, weights adding up to their parent's and to
100 at the first level, bonus items outside the 100 at the first level only, computed leaves
with a formula; a round opens only with a sound tree."""

from __future__ import annotations

from decimal import Decimal

import pytest

from soms.accounts.choices import Role
from soms.audit.models import AuditEvent
from soms.core.errors import ConflictError, NotPermitted, ServiceError
from soms.evaluation import services
from soms.evaluation.choices import RoundStatus, Source
from soms.evaluation.models import EvaluationRound, Indicator
from soms.evaluation.tests.conftest import CITIES, build_round
from soms.evaluation.tree import Item, problems
from soms.testing import make_user

pytestmark = pytest.mark.django_db


def codes(found: list[ServiceError]) -> list[tuple[str, dict[str, object]]]:
    return [(p.code, p.params) for p in found]


def test_a_sound_tree_has_no_problem() -> None:
    items = [
        Item("1", None, 1, Decimal(60)),
        Item("1.1", "1", 2, Decimal(35)),
        Item("1.1.1", "1.1", 3, Decimal(35)),
        Item("1.2", "1", 2, Decimal(25)),
        Item("2", None, 1, Decimal(40), source=Source.COMPUTED, formula="employees"),
        Item("B1", None, 1, Decimal(5), is_bonus=True),
    ]
    assert problems(items) == []


def test_every_broken_rule_is_named() -> None:
    items = [
        Item("1", None, 1, Decimal(60)),
        Item("1.1", "1", 2, Decimal(30)),  # 30 + 25 ≠ 60
        Item("1.2", "1", 2, Decimal(25)),
        Item("1.1.1", "1.1", 3, Decimal(30)),
        Item("1.1.1.1", "1.1.1", 4, Decimal(30)),  # a fourth level
        Item("2", None, 1, Decimal(30), source=Source.COMPUTED, formula="no_such_formula"),
        Item("B1", None, 1, Decimal(5), is_bonus=True),
        Item("B1.1", "B1", 2, Decimal(5)),  # a bonus item with a child
    ]
    found = codes(problems(items))
    assert ("tree_total", {"total": "90"}) in found  # bonus items apart: 60 + 30
    assert ("tree_children", {"code": "1", "total": "55", "weight": "60"}) in found
    assert ("tree_depth", {"code": "1.1.1.1"}) in found
    assert ("tree_formula", {"code": "2"}) in found
    assert ("tree_bonus", {"code": "B1"}) in found
    assert ("tree_children", {"code": "B1", "total": "5", "weight": "5"}) not in found


def test_an_empty_tree_is_not_ready() -> None:
    assert codes(problems([Item("B1", None, 1, Decimal(5), is_bonus=True)])) == [("tree_empty", {})]


def test_the_2016_template_gives_the_first_level_and_a_round_opens_only_when_sound() -> None:
    admin = make_user(Role.MINISTRY_ADMIN)
    evaluation_round = services.create_round(admin, name_zh="模板", year=2025, template="2016")
    first = list(
        Indicator.objects.filter(evaluation_round=evaluation_round)
        .order_by("position")
        .values_list("code", "name_en", "weight")
    )
    assert first == [
        ("1", "Industry development", Decimal(40)),
        ("2", "Infrastructure", Decimal(15)),
        ("3", "Talent training and employment", Decimal(20)),
        ("4", "Factor costs", Decimal(10)),
        ("5", "Policy measures", Decimal(15)),
    ]
    assert services.tree_problems(evaluation_round) == []
    for code in ("320500", "420100"):
        services.add_city(admin, evaluation_round, code)
    # A child that does not fill its parent's weight stops the round from opening.
    services.add_indicator(
        admin,
        evaluation_round,
        parent=Indicator.objects.get(evaluation_round=evaluation_round, code="2"),
        name_zh="平台数",
        weight=Decimal(10),
    )
    with pytest.raises(ServiceError) as refused:
        services.open_round(admin, evaluation_round)
    assert refused.value.code == "tree_children"
    evaluation_round.refresh_from_db()
    assert evaluation_round.status == RoundStatus.DRAFT
    services.change_indicator(
        admin, Indicator.objects.get(evaluation_round=evaluation_round, code="2.1"), weight=15
    )
    services.open_round(admin, evaluation_round)
    assert EvaluationRound.objects.get(pk=evaluation_round.pk).status == RoundStatus.OPEN


def test_edits_are_held_to_the_rules_one_at_a_time() -> None:
    admin = make_user(Role.MINISTRY_ADMIN)
    evaluation_round = services.create_round(admin, name_zh="规则", year=2025, template="2016")
    one = Indicator.objects.get(evaluation_round=evaluation_round, code="1")
    two = services.add_indicator(admin, evaluation_round, parent=one, name_zh="二", weight=40)
    three = services.add_indicator(admin, evaluation_round, parent=two, name_zh="三", weight=40)
    assert (two.code, two.level, three.code, three.level) == ("1.1", 2, "1.1.1", 3)
    with pytest.raises(ServiceError) as refused:
        services.add_indicator(admin, evaluation_round, parent=three, name_zh="四", weight=40)
    assert refused.value.code == "tree_depth"
    bonus = services.add_indicator(
        admin, evaluation_round, name_zh="加分", weight=Decimal(3), is_bonus=True
    )
    assert bonus.code == "B1"
    with pytest.raises(ServiceError) as refused:
        services.add_indicator(admin, evaluation_round, parent=bonus, name_zh="子", weight=3)
    assert refused.value.code == "tree_bonus"
    with pytest.raises(ServiceError) as refused:
        services.add_indicator(
            admin, evaluation_round, name_zh="计算", weight=5, source=Source.COMPUTED
        )
    assert refused.value.code == "tree_formula"
    with pytest.raises(ServiceError) as refused:
        services.change_indicator(admin, two, weight=Decimal(0))
    assert refused.value.code == "weight"
    assert AuditEvent.objects.filter(action="evaluation.indicator.added").count() == 5 + 3


def test_only_the_administrator_edits_and_only_a_draft() -> None:
    admin = make_user(Role.MINISTRY_ADMIN)
    statistician = make_user(Role.MINISTRY_STATISTICIAN)
    evaluation_round = build_round(admin)
    leaf = Indicator.objects.get(evaluation_round=evaluation_round, code="1.1")
    with pytest.raises(NotPermitted):
        services.change_indicator(statistician, leaf, weight=Decimal(20))
    services.open_round(admin, evaluation_round)
    with pytest.raises(ConflictError) as refused:
        services.change_indicator(admin, leaf, weight=Decimal(20))
    assert refused.value.code == "round_status"
    with pytest.raises(ConflictError):
        services.add_city(admin, evaluation_round, "330100")
    assert evaluation_round.cities.count() == len(CITIES)
