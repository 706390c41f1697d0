"""The enterprise endpoints of the API: their description, authentication, self-registration and
review, and refusals that name the field and the rule in both languages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from soms.accounts.choices import Role
from soms.accounts.models import ApiToken, User
from soms.audit.models import AuditEvent
from soms.registry.choices import RegistrationStatus
from soms.registry.models import Enterprise
from soms.testing import PASSWORD, make_enterprise, make_uscc, make_user

pytestmark = pytest.mark.django_db


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def registration(**changes: Any) -> dict[str, Any]:
    data = {
        "uscc": make_uscc(),
        "name": "苏州姑苏软件外包有限公司",
        "division": "320508",
        "ownership": "foreign",
        "size": "medium",
        "established_on": "2012-09-01",
        "contact_name": "周七",
        "contact_phone": "0512-65000000",
        "username": "gusu-admin",
        "password": PASSWORD,
    }
    data.update(changes)
    return data


def counts() -> tuple[int, int, int]:
    return Enterprise.objects.count(), User.objects.count(), AuditEvent.objects.count()


# --- description -----------------------------------------------------------------------------


def test_the_openapi_document_lists_the_enterprise_endpoints():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "SOMS API"
    paths = document["paths"]
    assert set(paths["/api/v1/enterprises/"]) == {"get"}
    assert set(paths["/api/v1/enterprises/{uscc}"]) == {"get"}
    assert set(paths["/api/v1/enterprises/registrations"]) == {"post"}
    assert set(paths["/api/v1/enterprises/{uscc}/approve"]) == {"post"}
    assert set(paths["/api/v1/enterprises/{uscc}/return"]) == {"post"}
    schemes = document["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


# --- authentication --------------------------------------------------------------------------


def test_a_bearer_token_authenticates_and_its_use_is_recorded():
    enterprise = make_enterprise("320508")
    make_enterprise("310115")
    user = make_user(Role.CITY_REVIEWER, division="320500")
    token, key = ApiToken.issue(user, "统计报表工具")
    assert token.key_hash != key and key not in token.key_hash  # only the hash is stored
    response = Client().get("/api/v1/enterprises/", **bearer(key))
    assert response.status_code == 200
    assert [item["uscc"] for item in response.json()["items"]] == [enterprise.uscc]
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer ", "Token abc", ""])
def test_a_wrong_or_missing_token_is_401(header):
    make_enterprise("320508")
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    assert Client().get("/api/v1/enterprises/", **extra).status_code == 401


def test_an_expired_token_or_a_deactivated_users_token_is_401():
    user = make_user(Role.MINISTRY_STATISTICIAN)
    expired, expired_key = ApiToken.issue(user, "old")
    expired.expires_at = timezone.now() - dt.timedelta(minutes=1)
    expired.save()
    assert Client().get("/api/v1/enterprises/", **bearer(expired_key)).status_code == 401
    _token, key = ApiToken.issue(user, "current")
    assert Client().get("/api/v1/enterprises/", **bearer(key)).status_code == 200
    user.is_active = False
    user.save()
    assert Client().get("/api/v1/enterprises/", **bearer(key)).status_code == 401


def test_a_session_write_needs_the_csrf_token_but_a_bearer_write_does_not():
    enterprise = make_enterprise("310115", status=RegistrationStatus.SUBMITTED)
    reviewer = make_user(Role.DISTRICT_REVIEWER, division="310115")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(reviewer)
    url = f"/api/v1/enterprises/{enterprise.uscc}/approve"
    assert browser.post(url, {}, content_type="application/json").status_code in (401, 403)
    enterprise.refresh_from_db()
    assert enterprise.status == RegistrationStatus.SUBMITTED
    _token, key = ApiToken.issue(reviewer, "review tool")
    client = Client(enforce_csrf_checks=True)
    assert client.post(url, {}, content_type="application/json", **bearer(key)).status_code == 200


# --- self-registration -----------------------------------------------------------------------


def test_an_anonymous_caller_registers_an_enterprise():
    data = registration(uscc=make_uscc().lower())
    response = Client().post(
        "/api/v1/enterprises/registrations", data, content_type="application/json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["uscc"] == data["uscc"].upper()
    assert body["status"] == "submitted"
    assert body["division_code"] == "320508"
    assert body["city_code"] == "320500"
    assert body["province_code"] == "320000"
    assert body["registered_on"] is None
    enterprise = Enterprise.objects.get(uscc=data["uscc"].upper())
    assert enterprise.established_on == dt.date(2012, 9, 1)
    admin = User.objects.get(username="gusu-admin")
    assert (admin.role, admin.enterprise) == (Role.ENTERPRISE_ADMIN, enterprise)
    # The new administrator's token shows the enterprise, with its contact details.
    _token, key = ApiToken.issue(admin, "ERP")
    detail = Client().get(f"/api/v1/enterprises/{enterprise.uscc}", **bearer(key)).json()
    assert detail["contact_phone"] == "0512-65000000"
    assert detail["certifications"] == []


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"uscc": "91350100M000100Y44"}, "uscc", "uscc_check"),
        ({"uscc": "91350100M000100Y4"}, "uscc", "uscc_length"),
        ({"division": "999999"}, "division", "unknown_division"),
        ({"division": "320500"}, "division", "division_not_county"),
        ({"division": "310000"}, "division", "division_not_county"),
        ({"name": ""}, "name", "required"),
        ({"contact_phone": "  "}, "contact_phone", "required"),
        ({"name": None}, "name", None),  # a schema error
        ({"established_on": "2012-13-01"}, "established_on", "invalid"),
    ],
)
def test_bad_registration_input_answers_400_in_both_languages(changes, field, code):
    before = counts()
    data = {k: v for k, v in registration(**changes).items() if v is not None}
    response = Client().post(
        "/api/v1/enterprises/registrations", data, content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == field
    assert body["code"] == (code or "required")
    assert body["message_zh"].strip()
    assert body["message_en"].strip()
    assert counts() == before


def test_a_missing_attribute_is_named_in_chinese_and_english():
    data = registration()
    del data["contact_phone"]
    response = Client().post(
        "/api/v1/enterprises/registrations", data, content_type="application/json"
    )
    body = response.json()
    assert response.status_code == 400
    assert (body["code"], body["field"]) == ("required", "contact_phone")
    assert "contact_phone" in body["message_zh"]
    assert "contact_phone" in body["message_en"]
    assert body["message_zh"] != body["message_en"]


def test_a_duplicate_registration_answers_400_and_writes_nothing():
    existing = make_enterprise("320508")
    before = counts()
    response = Client().post(
        "/api/v1/enterprises/registrations",
        registration(uscc=existing.uscc),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "duplicate_registration"
    assert existing.uscc in response.json()["message_en"]
    assert counts() == before


# --- review ----------------------------------------------------------------------------------


@pytest.fixture
def review() -> tuple[Enterprise, str]:
    enterprise = make_enterprise("320508", status=RegistrationStatus.SUBMITTED)
    reviewer = make_user(Role.DISTRICT_REVIEWER, division="320508")
    return enterprise, ApiToken.issue(reviewer, "review")[1]


def test_approval_by_api(review):
    enterprise, key = review
    response = Client().post(
        f"/api/v1/enterprises/{enterprise.uscc}/approve",
        {"version": enterprise.lock_version},
        content_type="application/json",
        **bearer(key),
    )
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert response.json()["version"] == enterprise.lock_version + 1
    event = AuditEvent.objects.get(action="registry.enterprise.approved")
    assert event.channel == "api"
    assert event.actor_name.startswith("district_reviewer")


def test_return_by_api_needs_a_reason(review):
    enterprise, key = review
    url = f"/api/v1/enterprises/{enterprise.uscc}/return"
    response = Client().post(url, {"reason": ""}, content_type="application/json", **bearer(key))
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == ("reason_required", "reason")
    response = Client().post(
        url, {"reason": "经营范围不符"}, content_type="application/json", **bearer(key)
    )
    assert response.status_code == 200
    enterprise.refresh_from_db()
    assert (enterprise.status, enterprise.return_reason) == ("returned", "经营范围不符")


@pytest.mark.parametrize("decision", ["approve", "return"])
def test_a_stale_version_is_409(review, decision):
    enterprise, key = review
    response = Client().post(
        f"/api/v1/enterprises/{enterprise.uscc}/{decision}",
        {"version": enterprise.lock_version + 1, "reason": "理由"},
        content_type="application/json",
        **bearer(key),
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert "changed by someone else" in body["message_en"]
    assert body["message_zh"].strip()
    enterprise.refresh_from_db()
    assert enterprise.status == RegistrationStatus.SUBMITTED


def test_approving_an_approved_registration_is_400(review):
    enterprise, key = review
    url = f"/api/v1/enterprises/{enterprise.uscc}/approve"
    assert Client().post(url, {}, content_type="application/json", **bearer(key)).status_code == 200
    response = Client().post(url, {}, content_type="application/json", **bearer(key))
    assert response.status_code == 400
    assert response.json()["code"] == "illegal_transition"


def test_the_list_filters_by_status_and_division():
    submitted = make_enterprise("320508", status=RegistrationStatus.SUBMITTED)
    approved = make_enterprise("320508")
    nanjing = make_enterprise("320106")
    _token, key = ApiToken.issue(make_user(Role.PROVINCE_REVIEWER, division="320000"), "t")

    def listed(query: str) -> set[str]:
        response = Client().get(f"/api/v1/enterprises/?{query}", **bearer(key))
        return {item["uscc"] for item in response.json()["items"]}

    assert listed("") == {submitted.uscc, approved.uscc, nanjing.uscc}
    assert listed("status=submitted") == {submitted.uscc}
    assert listed("division=320500") == {submitted.uscc, approved.uscc}
    assert listed("division=320100") == {nanjing.uscc}
    assert listed("division=320106") == {nanjing.uscc}
    assert listed("division=320000") == {submitted.uscc, approved.uscc, nanjing.uscc}


def test_the_division_filter_takes_a_county_whose_code_ends_in_zero_as_itself():
    pudong = make_enterprise("310115")
    yangpu = make_enterprise("310110")  # 杨浦区: not a prefix of Pudong's 310115
    _token, key = ApiToken.issue(make_user(Role.MINISTRY_STATISTICIAN), "t")
    response = Client().get("/api/v1/enterprises/?division=310110", **bearer(key))
    assert [item["uscc"] for item in response.json()["items"]] == [yangpu.uscc]
    response = Client().get("/api/v1/enterprises/?division=310000", **bearer(key))
    assert {item["uscc"] for item in response.json()["items"]} == {pudong.uscc, yangpu.uscc}
