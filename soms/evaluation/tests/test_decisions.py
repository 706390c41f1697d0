"""Decisions of dynamic management: a warning, a rectification period, an exit that ends the
city's designation and a new designation that creates one, each with its date, document number
and reason, its audit events, and what the statistics then count as a demonstration city."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from soms.accounts.choices import Role
from soms.audit.models import AuditEvent
from soms.core.errors import ConflictError, NotPermitted, ServiceError
from soms.evaluation import services
from soms.evaluation.choices import CandidateStatus, DecisionKind
from soms.evaluation.models import CandidateCity, CityDecision
from soms.reference.choices import DesignationKind
from soms.reference.models import CityDesignation
from soms.statistics.engine import Dimensions
from soms.testing import make_user

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 6, 30)


@pytest.fixture
def admin():  # type: ignore[no-untyped-def]
    return make_user(Role.MINISTRY_ADMIN)


def decide(admin, division: str, kind: str, **extra):  # type: ignore[no-untyped-def]
    return services.record_decision(
        admin,
        division=division,
        kind=kind,
        decided_on=extra.pop("decided_on", DAY),
        document=extra.pop("document", "商服贸函〔2026〕1号"),
        reason=extra.pop("reason", "综合评价排名末位"),
        **extra,
    )


def current(division: str) -> CityDesignation | None:
    return CityDesignation.objects.filter(
        division_id=division, kind=DesignationKind.DEMONSTRATION, revoked_on__isnull=True
    ).first()


def test_a_warning_and_a_rectification_period_leave_the_designation(admin) -> None:  # type: ignore[no-untyped-def]
    warning = decide(admin, "230600", DecisionKind.WARNING)  # Daqing
    rectification = decide(
        admin, "230600", DecisionKind.RECTIFICATION, rectify_until=dt.date(2027, 6, 30)
    )
    assert warning.designation is None and rectification.rectify_until == dt.date(2027, 6, 30)
    assert current("230600") is not None
    assert AuditEvent.objects.filter(action="evaluation.decision.recorded").count() == 2
    with pytest.raises(ServiceError) as refused:
        decide(admin, "230600", DecisionKind.RECTIFICATION, rectify_until=DAY)
    assert refused.value.field == "rectify_until"


def test_an_exit_ends_the_designation_on_the_day_of_the_decision(admin) -> None:  # type: ignore[no-untyped-def]
    assert "230600" in Dimensions([]).demonstration
    designation = current("230600")
    decision = decide(admin, "230600", DecisionKind.EXIT, document="商服贸函〔2026〕9号")
    assert decision.designation == designation
    designation.refresh_from_db()  # type: ignore[union-attr]
    assert designation.revoked_on == DAY  # type: ignore[union-attr]
    event = AuditEvent.objects.get(action="reference.designation.ended")
    assert event.before["revoked_on"] is None and event.after["revoked_on"] == "2026-06-30"
    assert event.reason == "商服贸函〔2026〕9号"
    # Not a demonstration city for a round of a later year; still one for a year before.
    assert "230600" not in services.demonstration_cities_in(2026)
    assert "230600" in services.demonstration_cities_in(2025)
    # The statistics count it as a demonstration city for the months of its designation:
    # up to June 2026 (exited on the 30th), no longer from July.
    dims = Dimensions([])
    assert dims.is_demonstration("230600", dt.date(2025, 1, 1))
    assert dims.is_demonstration("230600", dt.date(2026, 6, 1))
    assert not dims.is_demonstration("230600", dt.date(2026, 7, 1))
    with pytest.raises(ConflictError) as refused:
        decide(admin, "230600", DecisionKind.WARNING)
    assert refused.value.code == "not_designated"


def test_a_new_designation_creates_one_and_settles_the_application(admin) -> None:  # type: ignore[no-untyped-def]
    candidate = services.add_candidate(
        admin, division="530100", applied_on=dt.date(2025, 3, 1), document="昆明市政府函"
    )
    assert candidate.status == CandidateStatus.APPLYING
    decision = decide(admin, "530100", DecisionKind.DESIGNATION, document="商服贸函〔2026〕5号")
    designation = current("530100")
    assert designation is not None and decision.designation == designation
    assert designation.designated_on == DAY and designation.document == "商服贸函〔2026〕5号"
    assert CandidateCity.objects.get(pk=candidate.pk).status == CandidateStatus.DESIGNATED
    assert AuditEvent.objects.filter(action="reference.designation.created").count() == 1
    # The statistics count it from the day of the designation.
    assert Dimensions([]).demonstration["530100"] == [(DAY, None)]
    with pytest.raises(ConflictError):
        decide(admin, "530100", DecisionKind.DESIGNATION, decided_on=dt.date(2026, 7, 1))
    with pytest.raises(ConflictError):
        services.add_candidate(admin, division="530100", applied_on=dt.date(2026, 8, 1))


def test_an_exited_city_can_be_designated_again(admin) -> None:  # type: ignore[no-untyped-def]
    decide(admin, "230600", DecisionKind.EXIT)
    decide(admin, "230600", DecisionKind.DESIGNATION, decided_on=dt.date(2028, 1, 1))
    rows = CityDesignation.objects.filter(
        division_id="230600", kind=DesignationKind.DEMONSTRATION
    ).order_by("designated_on")
    assert [(r.designated_on.year, r.revoked_on) for r in rows] == [(2009, DAY), (2028, None)]
    dims = Dimensions([])
    assert not dims.is_demonstration("230600", dt.date(2027, 6, 1))  # between exit and return
    assert dims.is_demonstration("230600", dt.date(2028, 1, 1))


def test_a_decision_names_its_document_and_reason_and_is_the_administrators(admin) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ServiceError) as refused:
        decide(admin, "230600", DecisionKind.WARNING, document=" ")
    assert refused.value.field == "document"
    with pytest.raises(ServiceError) as refused:
        decide(admin, "230600", DecisionKind.WARNING, reason="")
    assert refused.value.field == "reason"
    with pytest.raises(ServiceError) as refused:
        decide(admin, "320508", DecisionKind.WARNING)  # a district, not a city
    assert refused.value.code == "not_a_city"
    with pytest.raises(ServiceError) as refused:
        decide(admin, "230600", DecisionKind.WARNING, decided_on=dt.date(2008, 1, 1))
    assert refused.value.code == "before_designation"
    with pytest.raises(NotPermitted):
        decide(make_user(Role.MINISTRY_STATISTICIAN), "230600", DecisionKind.WARNING)
    assert not CityDecision.objects.exists()


def test_the_public_sees_exits_and_designations_officials_their_citys_warnings(admin) -> None:  # type: ignore[no-untyped-def]
    decide(admin, "230600", DecisionKind.WARNING, reason="大庆警告")
    decide(admin, "210100", DecisionKind.EXIT, reason="沈阳退出")
    decide(admin, "320500", DecisionKind.WARNING, reason="苏州警告")
    anonymous = Client().get("/evaluation/cities/").content.decode()
    assert "沈阳退出" in anonymous and "大庆警告" not in anonymous and "苏州警告" not in anonymous
    suzhou = Client()
    suzhou.force_login(make_user(Role.CITY_EVALUATOR, division="320500"))
    page = suzhou.get("/evaluation/cities/").content.decode()
    assert "沈阳退出" in page and "苏州警告" in page and "大庆警告" not in page
    ministry = Client()
    ministry.force_login(make_user(Role.MINISTRY_STATISTICIAN))
    page = ministry.get("/evaluation/cities/").content.decode()
    assert all(reason in page for reason in ("沈阳退出", "苏州警告", "大庆警告"))
    # The designation history is public reference data: Xiamen's 2010 designation.
    assert 'data-testid="designation-350200"' in anonymous


def test_the_administrator_records_a_decision_through_the_page(admin, client: Client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(admin)
    response = client.post(
        "/evaluation/cities/decisions/new/",
        {
            "division": "230600",
            "kind": "rectification",
            "decided_on": "2026-06-30",
            "document": "商服贸函〔2026〕3号",
            "reason": "限期整改",
            "rectify_until": "2026-06-01",
        },
    )
    assert response.status_code == 200
    assert 'data-field-error="rectify_until"' in response.content.decode()
    assert not CityDecision.objects.exists()
    response = client.post(
        "/evaluation/cities/decisions/new/",
        {
            "division": "230600",
            "kind": "rectification",
            "decided_on": "2026-06-30",
            "document": "商服贸函〔2026〕3号",
            "reason": "限期整改",
            "rectify_until": "2027-06-30",
        },
    )
    assert response.status_code == 302
    assert CityDecision.objects.get().rectify_until == dt.date(2027, 6, 30)
    other = Client()
    other.force_login(make_user(Role.MINISTRY_STATISTICIAN))
    assert other.get("/evaluation/cities/decisions/new/").status_code == 404
