"""The pages as the ministry and a city use them: a round created from the template and built
through the forms, a city's form filled with a refusal on its field, the review queue, a return
with its reason, the ranking by region group; query counts pinned."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from soms.accounts.choices import Role
from soms.evaluation import services
from soms.evaluation.choices import RoundStatus, SubmissionStatus
from soms.evaluation.models import EvaluatedCity, EvaluationRound, Indicator
from soms.evaluation.tests.conftest import World, publish
from soms.testing import make_user

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_the_ministry_builds_and_opens_a_round_through_the_pages() -> None:
    admin = signed_in(make_user(Role.MINISTRY_ADMIN))
    response = admin.post(
        "/evaluation/",
        {"name_zh": "2025年度评价", "name_en": "", "year": "2025", "template": "2016"},
    )
    evaluation_round = EvaluationRound.objects.get(name_zh="2025年度评价")
    assert response.status_code == 302
    base = f"/evaluation/rounds/{evaluation_round.pk}"
    industry = Indicator.objects.get(evaluation_round=evaluation_round, code="1")
    response = admin.post(
        base + "/indicators/",
        {
            "parent": industry.pk,
            "name_zh": "离岸执行额",
            "weight": "25",
            "direction": "higher",
            "source": "computed",
            "formula": "offshore_execution_usd",
        },
    )
    assert response.status_code == 302
    page = admin.get(base + "/indicators/").content.decode()
    assert "The weights under 1 add up to 25, not to its weight 40." in page
    leaf = Indicator.objects.get(evaluation_round=evaluation_round, code="1.1")
    response = admin.post(
        f"{base}/indicators/{leaf.pk}/",
        {
            "name_zh": "离岸执行额",
            "weight": "40",
            "direction": "higher",
            "source": "computed",
            "formula": "offshore_execution_usd",
        },
    )
    assert response.status_code == 302
    assert 'data-testid="tree-sound"' in admin.get(base + "/indicators/").content.decode()
    for code in ("320500", "420100"):
        admin.post(base + "/cities/add/", {"division": code, "kind": "designated"})
    response = admin.post(base + "/cities/add/", {"division": "320508", "kind": "designated"})
    assert EvaluatedCity.objects.filter(evaluation_round=evaluation_round).count() == 2
    admin.post(base + "/do/open/")
    evaluation_round.refresh_from_db()
    assert evaluation_round.status == RoundStatus.OPEN


def test_a_city_fills_its_form_and_sees_a_refusal_on_its_field(world: World) -> None:
    client = signed_in(world.evaluators["320500"])
    url = f"/evaluation/rounds/{world.round.pk}/cities/320500/"
    rent = world.indicator("4.1")
    values = {f"own-value_{pk}": v for pk, v in world.own_values("320500").items()}
    response = client.post(url, {**values, f"own-value_{rent.pk}": "0", "action": "submit"})
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-field-error="value_{rent.pk}"' in page
    assert "4.1: lower is better here, so the value is above zero." in page
    assert world.city("320500").submission.status == SubmissionStatus.DRAFT
    response = client.post(url, {**values, "action": "submit"})
    assert response.status_code == 302
    assert world.city("320500").submission.status == SubmissionStatus.SUBMITTED
    page = client.get(url).content.decode()
    assert 'data-testid="submit"' not in page  # with the ministry now: read only


def test_the_review_queue_and_a_return_with_its_reason(world: World) -> None:
    world.fill("320500", approve=False)
    world.fill("420100", approve=False)
    admin = signed_in(world.admin)
    base = f"/evaluation/rounds/{world.round.pk}"
    queue = admin.get(base + "/review/").content.decode()
    assert set(re.findall(r'data-testid="waiting-(\d{6})"', queue)) == {"320500", "420100"}
    response = admin.post(base + "/cities/420100/return/", {"reason": ""})
    assert world.city("420100").submission.status == SubmissionStatus.SUBMITTED
    response = admin.post(base + "/cities/420100/return/", {"reason": "培训人数请附证明"})
    assert response.status_code == 302
    assert world.city("420100").submission.status == SubmissionStatus.RETURNED
    admin.post(base + "/cities/320500/approve/")
    assert world.city("320500").submission.status == SubmissionStatus.APPROVED
    wuhan = signed_in(world.evaluators["420100"]).get(base + "/cities/420100/").content.decode()
    assert "培训人数请附证明" in wuhan and 'data-testid="submit"' in wuhan


def test_the_ranking_page_by_region_group(world: World) -> None:
    for code in ("320500", "420100", "210200"):
        world.fill(code)
    # Changzhou never submits: its values are missing; the ministry sees the flag, not the public.
    services.close_round(world.admin, world.round)
    services.publish_round(world.admin, world.round)
    client = Client()
    url = f"/evaluation/rounds/{world.round.pk}/ranking/"
    national = client.get(url).content.decode()
    assert re.findall(r'data-testid="rank-(\d{6})"', national) == [
        line.city.division_id for line in _lines(world)
    ]
    east = client.get(url + "?group=east").content.decode()
    assert set(re.findall(r'data-testid="rank-(\d{6})"', east)) == {"320500", "320400"}
    assert client.get(url + "?group=nowhere").status_code == 404
    assert 'data-testid="missing"' not in national
    ministry = signed_in(world.admin).get(url).content.decode()
    assert ministry.count('data-testid="missing"') == 1


def _lines(world: World) -> list:  # type: ignore[type-arg]
    from soms.evaluation.results import Results

    return Results(world.round).lines


def test_query_counts_are_pinned(world: World) -> None:
    publish(world)
    client = signed_in(world.admin)
    counts = {}
    for page in ("ranking/", "report/", "", "review/"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/evaluation/rounds/{world.round.pk}/{page}").status_code == 200
        counts[page] = len(queries)
    # A handful of queries: none per city or per indicator.
    assert counts["ranking/"] <= 14, counts
    assert counts["report/"] <= 14, counts
    assert counts[""] <= 16, counts
    assert counts["review/"] <= 12, counts
