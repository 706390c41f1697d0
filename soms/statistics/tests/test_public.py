"""The public statistics page: the published (disclosure-controlled, national) figures for
everyone, officials included, beside their own exact figures on the dashboard."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from soms.accounts.choices import Role
from soms.filing.models import Execution
from soms.statistics.tests.test_views import LONE_TEXT, _card, _tile, fixture
from soms.testing import make_user

pytestmark = pytest.mark.django_db
__all__ = ["fixture"]  # the dashboard tests' records, used here too


def _html(client: Client, name: str, month) -> str:  # type: ignore[no-untyped-def]
    response = client.get(reverse(f"statistics:{name}"), {"month": f"{month:%Y-%m}"})
    assert response.status_code == 200
    return response.content.decode()


def test_an_official_sees_exact_figures_and_on_the_public_page_the_published_ones(
    client: Client,
    fixture,  # type: ignore[no-untyped-def]
) -> None:
    month, _district = fixture
    client.force_login(make_user(Role.MINISTRY_STATISTICIAN))
    # Shanghai has one enterprise: exact for the ministry on its own dashboard …
    own = _html(client, "dashboard", month)
    assert LONE_TEXT in _tile(own, "310000")
    assert 'data-flag="C"' not in own
    # … confidential on the public page, where its figure appears nowhere.
    public = _html(client, "public", month)
    assert 'data-flag="C"' in _tile(public, "310000")
    assert LONE_TEXT not in public
    assert 'data-testid="disclosure-explained"' in public
    assert f"{reverse('statistics:pivot')}?public=1" in public


def test_a_district_official_gets_national_public_figures_on_the_public_page(
    client: Client,
    fixture,  # type: ignore[no-untyped-def]
) -> None:
    month, district = fixture
    client.force_login(district)
    executions = Execution.objects.counting().filter(executed_on__gte=month)
    national = sum((e.amount for e in executions), Decimal(0))
    mine = sum(
        (e.amount for e in executions.filter(enterprise__division_id=district.division_id)),
        Decimal(0),
    )
    assert mine != national
    assert _card(_html(client, "dashboard", month), "card-month-execution") == str(mine)
    public = _html(client, "public", month)
    assert _card(public, "card-month-execution") == str(national)
    assert 'data-flag="C"' in _tile(public, "310000")


def test_anonymous_visitors_find_the_public_page_in_the_navigation(client: Client) -> None:
    html = client.get("/").content.decode()
    assert reverse("statistics:public") in html
    assert 'data-testid="nav-public-statistics"' in html
    page = client.get(reverse("statistics:public"))
    assert page.status_code == 200
    assert 'data-testid="disclosure-explained"' in page.content.decode()
