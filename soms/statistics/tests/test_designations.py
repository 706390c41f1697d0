"""A city counts as a demonstration city for the months of its designation: from its
designation to its exit (dynamic management), in the rollups, the facts and the enterprise
measures alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from soms.reference.choices import DesignationKind
from soms.reference.models import CityDesignation
from soms.statistics.engine import Query, compute
from soms.statistics.tests.desk import Desk, rates

pytestmark = pytest.mark.django_db
YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 1))


@pytest.mark.parametrize(
    "by",
    [("month", "demonstration_city"), ("month", "district", "demonstration_city")],
    ids=["rollups", "facts"],
)
def test_an_exit_ends_the_months_a_city_counts_as_a_demonstration_city(by: tuple) -> None:
    rates({(dt.date(2025, m, 1), "USD"): Decimal("7") for m in range(1, 13)})
    desk = Desk()
    firm = desk.enterprise("320508")  # Suzhou, a demonstration city since 2009
    contract = desk.approve(desk.contract(firm, "C-1", signed_on=dt.date(2025, 1, 10)))
    for month in (3, 6, 7, 9):
        desk.approve(
            desk.execution(contract, f"E-{month}", dt.date(2025, month, 5), "CNY", Decimal(100))
        )
    CityDesignation.objects.filter(division_id="320500", kind=DesignationKind.DEMONSTRATION).update(
        revoked_on=dt.date(2025, 7, 1)
    )  # exited on 1 July 2025

    rows = compute(Query("execution_value", *YEAR, by=by)).rows
    flags = {row.keys["month"]: row.keys["demonstration_city"] for row in rows}
    assert flags == {"2025-03": "yes", "2025-06": "yes", "2025-07": "no", "2025-09": "no"}
    # Enterprise measures follow the same months.
    staff = compute(Query("enterprises_registered", *YEAR, by=("month", "demonstration_city")))
    by_month = {r.keys["month"]: r.keys["demonstration_city"] for r in staff.rows}
    assert by_month["2025-06"] == "yes" and by_month["2025-07"] == "no"
