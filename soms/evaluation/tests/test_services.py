"""The evaluation's services: the city's submission, the ministry's review and return with
their audit events; values held to the indicator's rules; the computed values; closing and
publishing; and the scores of a whole round against an independent recomputation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from soms.audit.models import AuditEvent
from soms.audit.services import verify_chain
from soms.core.errors import ConflictError, NotPermitted, ServiceError
from soms.evaluation import services
from soms.evaluation.choices import RoundStatus, Source, SubmissionStatus
from soms.evaluation.models import Indicator, IndicatorValue, Submission
from soms.evaluation.results import Results
from soms.evaluation.tests.conftest import CITIES, EXTERNAL, LEAVES, OWN, World, publish
from soms.reference.models import ExchangeRate
from soms.statistics.tests.desk import Desk

pytestmark = pytest.mark.django_db


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_submit_return_correct_and_approve_each_with_its_event(world: World) -> None:
    suzhou, evaluator = world.city("320500"), world.evaluators["320500"]
    values = world.own_values("320500")

    assert services.save_values(evaluator, suzhou, values) == len(values)
    assert events("evaluation.submission.saved") == 1
    submission = services.submit(evaluator, suzhou)
    assert submission.status == SubmissionStatus.SUBMITTED
    assert submission.submitted_by == evaluator
    # Once sent, the city cannot change it.
    with pytest.raises(ConflictError):
        services.save_values(evaluator, suzhou, {world.indicator("2.1").pk: "13"})

    with pytest.raises(ServiceError) as refused:
        services.return_submission(world.admin, suzhou, "  ")
    assert refused.value.field == "reason"
    returned = services.return_submission(world.admin, suzhou, "平台数请附名单")
    assert returned.status == SubmissionStatus.RETURNED
    event = AuditEvent.objects.get(action="evaluation.submission.returned")
    assert event.reason == "平台数请附名单"
    assert event.before["status"] == "submitted" and event.after["status"] == "returned"

    services.save_values(evaluator, suzhou, {world.indicator("2.1").pk: "13"})
    services.submit(evaluator, suzhou)
    approved = services.approve(world.admin, suzhou)
    assert approved.status == SubmissionStatus.APPROVED and approved.return_reason == ""
    assert approved.reviewed_by == world.admin
    assert events("evaluation.submission.submitted") == 2
    assert events("evaluation.submission.approved") == 1
    assert IndicatorValue.objects.get(city=suzhou, indicator=world.indicator("2.1")).value == 13
    # Approved: nothing to review again, nothing to edit.
    with pytest.raises(ConflictError):
        services.approve(world.admin, suzhou)
    with pytest.raises(ConflictError):
        services.save_values(evaluator, suzhou, {world.indicator("2.1").pk: "14"})
    assert verify_chain().ok


def test_only_the_citys_own_evaluator_fills_and_only_the_administrator_reviews(
    world: World,
) -> None:
    suzhou = world.city("320500")
    with pytest.raises(NotPermitted):
        services.save_values(world.evaluators["420100"], suzhou, world.own_values("320500"))
    with pytest.raises(NotPermitted):
        services.save_values(world.admin, suzhou, world.own_values("320500"))
    services.save_values(world.evaluators["320500"], suzhou, world.own_values("320500"))
    services.submit(world.evaluators["320500"], suzhou)
    with pytest.raises(NotPermitted):
        services.approve(world.evaluators["320500"], suzhou)
    # The city's form holds its own indicators only: not the external or computed ones.
    with pytest.raises(ServiceError):
        services.save_external_values(world.admin, suzhou, {world.indicator("1.1").pk: "1"})


def test_values_are_held_to_the_indicators_rules(world: World) -> None:
    wuhan, evaluator = world.city("420100"), world.evaluators["420100"]
    cases = {
        ("4.1", "0"): "zero_lower",  # lower is better: a zero cannot be divided by
        ("1.1", "-3"): "invalid_number",
        ("1.1", "abc"): "invalid_number",
        ("1.1", "1.23456"): "too_precise",
        ("B1", "3.5"): "bonus_limit",  # at most 3 points
    }
    for (code, text), rule in cases.items():
        with pytest.raises(ServiceError) as refused:
            services.save_values(evaluator, wuhan, {world.indicator(code).pk: text})
        assert refused.value.code == rule, (code, text)
        assert refused.value.field == f"value_{world.indicator(code).pk}"
    assert (
        not IndicatorValue.objects.filter(city=wuhan, value__isnull=False)
        .exclude(indicator__source="computed")
        .exists()
    )
    services.save_values(evaluator, wuhan, {world.indicator("1.1").pk: "1,234.5"})
    assert IndicatorValue.objects.get(
        city=wuhan, indicator=world.indicator("1.1")
    ).value == Decimal("1234.5")
    # Submitting wants every indicator of the form but the bonus item.
    with pytest.raises(ServiceError) as refused:
        services.submit(evaluator, wuhan)
    assert refused.value.code == "incomplete"
    assert refused.value.params["codes"] == "2.1, 3.1, 4.1"


def test_the_system_values_are_computed_when_the_round_opens(world: World) -> None:
    computed = {
        v.city.division_id: v.value
        for v in IndicatorValue.objects.filter(indicator=world.indicator("1.2")).select_related(
            "city"
        )
    }
    # One enterprise registered in Suzhou (Gusu district); none in the other cities.
    assert computed == {"320500": 1, "420100": 0, "210200": 0, "320400": 0}


def test_closing_waits_for_reviews_and_publishing_freezes(world: World) -> None:
    for code in ("320500", "420100"):
        world.fill(code)
    world.fill("210200", approve=False)
    with pytest.raises(ConflictError) as refused:
        services.close_round(world.admin, world.round)
    assert refused.value.code == "submissions_waiting"
    services.approve(world.admin, world.city("210200"))
    # Changzhou never submits: its own values count as missing.
    services.close_round(world.admin, world.round)
    with pytest.raises(ConflictError):
        services.save_values(
            world.evaluators["320400"], world.city("320400"), world.own_values("320400")
        )
    services.publish_round(world.admin, world.round)
    world.round.refresh_from_db()
    assert world.round.status == RoundStatus.PUBLISHED and world.round.published_at
    results = Results(world.round)
    changzhou = results.scores.by_key()["320400"]
    # Its own four figures and the external one (never entered) score 0, flagged.
    assert set(changzhou.missing) == {"1.1", "2.1", "3.1", "4.1", "5.1"}
    assert results.scores.by_key()["320500"].missing == []
    assert Submission.objects.get(city__division_id="320400").status == SubmissionStatus.DRAFT
    for action in ("opened", "closed", "published"):
        assert events(f"evaluation.round.{action}") == 1


def test_a_whole_round_scores_as_an_independent_recomputation_says(world: World) -> None:
    publish(world)
    results = Results(world.round)
    # The rule, again, over the figures the cities and the ministry entered.
    leaves = {
        code: (Fraction(weight), direction == "lower")
        for code, _parent, _name, weight, _source, direction, _formula in LEAVES
    }
    figures: dict[tuple[str, str], Fraction] = {}
    for city in CITIES:
        for code, text in OWN[city].items():
            figures[(city, code)] = Fraction(text)
        figures[(city, "5.1")] = Fraction(EXTERNAL[city])
        figures[(city, "1.2")] = Fraction(1 if city == "320500" else 0)
    expected = {}
    for city in CITIES:
        total = min(figures.get((city, "B1"), Fraction(0)), Fraction(3))
        for leaf, (weight, lower) in leaves.items():
            have = [figures[(c, leaf)] for c in CITIES]
            mean = sum(have, Fraction(0)) / len(have)
            value = figures[(city, leaf)]
            total += weight * (mean / value if lower else value / mean)
        expected[city] = total
    got = results.scores.by_key()
    for city, total in expected.items():
        assert abs(Fraction(got[city].total) - total) < Fraction(1, 10**9), city
    assert [line.city.division_id for line in results.lines] == sorted(
        CITIES, key=lambda c: -expected[c]
    )
    east = [c for c in CITIES if CITIES[c][0] == "east"]
    assert [got[c].group_rank for c in sorted(east, key=lambda c: -expected[c])] == [1, 2]
    # On a higher-is-better leaf the cities' points average to its weight.
    for code, points in (("1.1", 25), ("2.1", 15), ("3.1", 20), ("5.1", 15), ("1.2", 15)):
        assert results.scores.averages[code] == pytest.approx(Decimal(points)), code


def test_a_formula_the_engine_cannot_answer_leaves_its_values_empty_and_says_why(
    world: World,
) -> None:
    # A month of 2025 with an execution and no dollar rate.
    ExchangeRate.objects.filter(currency_id="USD").delete()
    desk = Desk()
    firm = desk.enterprise("320508")
    contract = desk.approve(
        desk.contract(firm, "C1", counterpart_country="US", signed_on=dt.date(2025, 1, 10))
    )
    desk.approve(desk.execution(contract, "E1", dt.date(2025, 4, 15), "CNY", Decimal(1000)))
    admin = world.admin
    evaluation_round = services.create_round(admin, name_zh="无汇率", year=2025, template="2016")
    services.add_indicator(
        admin,
        evaluation_round,
        parent=Indicator.objects.get(evaluation_round=evaluation_round, code="1"),
        name_zh="离岸执行额",
        weight=Decimal(40),
        source=Source.COMPUTED,
        formula="offshore_execution_usd",
    )
    for code in ("320500", "420100"):
        services.add_city(admin, evaluation_round, code)
    services.open_round(admin, evaluation_round)
    computed = IndicatorValue.objects.filter(indicator__evaluation_round=evaluation_round)
    assert computed.count() == 2 and not computed.filter(value__isnull=False).exists()
    opened = AuditEvent.objects.filter(action="evaluation.round.opened").latest("sequence")
    assert opened.reason.startswith("1.1: ") and "USD" in opened.reason
    with pytest.raises(ServiceError):
        services.refresh_computed(world.evaluators["320500"], evaluation_round)
    assert services.refresh_computed(admin, evaluation_round) == [opened.reason]
