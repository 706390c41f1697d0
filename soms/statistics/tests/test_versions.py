"""Public figures are summed over every enterprise's facts; they are reused while the data is
unchanged (or, in production, for a few minutes), and officials' figures are always current."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from soms.reference.models import CityDesignation
from soms.statistics import versions
from soms.statistics.engine import Query, compute
from soms.statistics.tests.desk import Desk, rates

pytestmark = pytest.mark.django_db

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 1))
QUERY = Query("execution_value", *YEAR)


@pytest.fixture
def desk() -> Desk:
    rates({(dt.date(2025, m, 1), "USD"): Decimal("7.1") for m in range(1, 13)})
    return Desk()


def execute(desk: Desk, division: str, amount: str, number: str) -> None:
    firm = desk.enterprise(division)
    contract = desk.approve(
        desk.contract(firm, number, amount="100000.00", signed_on=dt.date(2025, 3, 1))
    )
    desk.approve(
        desk.execution(contract, f"E-{number}", dt.date(2025, 3, 9), "CNY", Decimal(amount))
    )


def public_value() -> Decimal | None:
    rows = compute(QUERY, public=True).rows
    return rows[0].value if rows else None


def test_a_decision_changes_the_version_and_the_public_figures(desk: Desk) -> None:
    for n, division in enumerate(("320508", "320506", "310115")):
        execute(desk, division, "1000.00", f"C-{n}")
    before = versions.current()
    assert public_value() == Decimal("3000.00")
    with CaptureQueriesContext(connection) as asked:
        assert public_value() == Decimal("3000.00")
    # Reused: the version and the sign-offs are read, no fact.
    assert not any("statistics_fact" in q["sql"] for q in asked.captured_queries)
    execute(desk, "330106", "500.00", "C-3")
    assert versions.current() != before
    assert public_value() == Decimal("3500.00")


def test_in_production_public_figures_trail_decisions_by_the_maximum_age(
    desk: Desk, settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SOMS_PUBLIC_STATISTICS_MAX_AGE = 600  # type: ignore[attr-defined]
    for n, division in enumerate(("320508", "320506", "310115")):
        execute(desk, division, "1000.00", f"C-{n}")
    assert public_value() == Decimal("3000.00")
    execute(desk, "330106", "500.00", "C-3")
    # Officials see the decision at once; the public figure is the one of minutes ago.
    assert compute(QUERY).rows[0].value == Decimal("3500.00")
    assert public_value() == Decimal("3000.00")
    later = versions.time.time() + 601
    monkeypatch.setattr(versions.time, "time", lambda: later)
    assert public_value() == Decimal("3500.00")


def test_a_new_designation_changes_the_version(desk: Desk) -> None:
    before = versions.current()
    CityDesignation.objects.create(
        division_id="320400", kind="demonstration", designated_on=dt.date(2025, 6, 1)
    )
    assert versions.current() != before


def test_warming_computes_the_public_page_ahead_of_its_visitors(
    desk: Desk, settings: object
) -> None:
    settings.SOMS_PUBLIC_STATISTICS_MAX_AGE = 600  # type: ignore[attr-defined]
    for n, division in enumerate(("320508", "320506", "310115")):
        execute(desk, division, "1000.00", f"C-{n}")
    assert public_value() == Decimal("3000.00")
    execute(desk, "330106", "500.00", "C-3")
    out = io.StringIO()
    call_command("stats", "--warm-public", stdout=out)
    assert "public statistics in CNY" in out.getvalue()
    # The page's queries are now kept at the new version: a visitor reads no fact.
    client = Client()
    with CaptureQueriesContext(connection) as asked:
        response = client.get("/statistics/public/")
    assert response.status_code == 200
    assert not any("statistics_fact" in q["sql"] for q in asked.captured_queries)
