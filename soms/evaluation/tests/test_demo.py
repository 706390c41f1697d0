"""The demo's evaluation: a published round over the 37 demonstration cities and five
candidates, every form approved (Suzhou's after one return), decisions recorded; built once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from soms.accounts.choices import Role
from soms.audit.models import AuditEvent
from soms.demo.evaluation import CANDIDATES, build_demo_evaluation, round_name
from soms.demo.officials import create_official
from soms.evaluation.choices import CityKind, DecisionKind, RoundStatus, SubmissionStatus
from soms.evaluation.models import CityDecision, EvaluatedCity, EvaluationRound, Submission
from soms.evaluation.results import Results

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(dt.datetime(2026, 11, 23, 18))


def test_the_demo_round_is_complete_published_and_built_once() -> None:
    assert build_demo_evaluation(NOW) == 0  # no ministry administrator yet
    create_official(
        username="ministry-admin", role=Role.MINISTRY_ADMIN, division=None, display_name="管理员"
    )
    create_official(
        username="evaluator-sz", role=Role.CITY_EVALUATOR, division="320500", display_name="苏州"
    )
    assert build_demo_evaluation(NOW) == 37 + len(CANDIDATES)

    evaluation_round = EvaluationRound.objects.get(name_zh=round_name(2025))
    assert evaluation_round.status == RoundStatus.PUBLISHED
    kinds = EvaluatedCity.objects.filter(evaluation_round=evaluation_round)
    assert kinds.filter(kind=CityKind.DESIGNATED).count() == 37
    assert set(kinds.filter(kind=CityKind.CANDIDATE).values_list("division_id", flat=True)) == set(
        CANDIDATES
    )
    assert set(
        Submission.objects.filter(city__evaluation_round=evaluation_round).values_list(
            "status", flat=True
        )
    ) == {SubmissionStatus.APPROVED}
    returned = AuditEvent.objects.get(action="evaluation.submission.returned")
    assert returned.object_repr.endswith("苏州市")
    # Suzhou's own form was filled by the existing login; the others by one created per city.
    assert (
        AuditEvent.objects.filter(
            action="evaluation.submission.submitted", actor_name="evaluator-sz"
        ).count()
        == 2
    )

    results = Results(evaluation_round)
    assert results.flagged == 0  # every value present
    designated = results.kind_lines(CityKind.DESIGNATED)
    decisions = {d.kind: d for d in CityDecision.objects.all()}
    assert set(decisions) == {
        DecisionKind.WARNING,
        DecisionKind.RECTIFICATION,
        DecisionKind.DESIGNATION,
    }
    assert decisions[DecisionKind.WARNING].division_id == designated[-1].city.division_id
    assert (
        decisions[DecisionKind.DESIGNATION].division_id
        == results.kind_lines(CityKind.CANDIDATE)[0].city.division_id
    )
    page = Client().get(f"/evaluation/rounds/{evaluation_round.pk}/ranking/")
    assert page.status_code == 200

    events = AuditEvent.objects.count()
    assert build_demo_evaluation(NOW) == 0
    assert AuditEvent.objects.count() == events
