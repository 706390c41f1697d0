"""The registry's pages as a user drives them: registering, reviewing, correcting, changing a
profile, the history, the language, and signing in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from soms import settings as production_settings
from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.audit.models import AuditEvent
from soms.registry import services
from soms.registry.choices import ChangeStatus, RegistrationStatus
from soms.registry.models import Certification, Enterprise, ProfileChange
from soms.testing import PASSWORD, make_enterprise, make_uscc, make_user

pytestmark = pytest.mark.django_db


def form_data(**changes: Any) -> dict[str, Any]:
    data = {
        "uscc": make_uscc(),
        "name": "上海浦江软件外包有限公司",
        "name_en": "",
        "division": "310115",
        "ownership": "private",
        "size": "",
        "established_on": "2015-06-01",
        "address": "",
        "contact_name": "李四",
        "contact_phone": "021-58880000",
        "contact_email": "li.si@example.com",
        "username": "pujiang",
        "password": PASSWORD,
        "password_again": PASSWORD,
    }
    data.update(changes)
    return data


def counts() -> tuple[int, int, int]:
    return Enterprise.objects.count(), User.objects.count(), AuditEvent.objects.count()


def field_error(html: str, field: str) -> str:
    """The error shown under a form field ('' if none)."""
    match = re.search(rf'<div role="alert" data-field-error="{field}">(.*?)</div>', html, re.S)
    return match.group(1) if match else ""


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# --- self-registration -----------------------------------------------------------------------


def test_the_registration_form_creates_a_submitted_enterprise_and_its_administrator():
    client = Client()
    assert 'name="uscc"' in page(client, "/registry/register/")
    data = form_data(uscc=make_uscc().lower())
    response = client.post("/registry/register/", data)
    assert response.status_code == 200
    assert "registry/registered.html" in [t.name for t in response.templates]
    enterprise = Enterprise.objects.get(uscc=data["uscc"].upper())
    assert enterprise.status == RegistrationStatus.SUBMITTED
    assert enterprise.name == "上海浦江软件外包有限公司"
    assert enterprise.division_id == "310115"
    admin = User.objects.get(username="pujiang")
    assert (admin.role, admin.enterprise) == (Role.ENTERPRISE_ADMIN, enterprise)
    assert enterprise.name in response.content.decode()
    # The new administrator signs in and follows the registration.
    signed_in = Client()
    assert signed_in.post("/accounts/login/", {"username": "pujiang", "password": PASSWORD})[
        "Location"
    ] in ("/", "/accounts/profile/")
    html = page(signed_in, f"/registry/enterprises/{enterprise.uscc}/")
    assert 'data-testid="status"' in html


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"uscc": "91350100M000100Y44"}, "uscc", "GB 32100-2015"),
        ({"uscc": "91350100M000100Y4"}, "uscc", "18"),
        ({"division": "999999"}, "division", "999999"),
        ({"division": "310000"}, "division", "310000"),
        ({"name": ""}, "name", ""),
        ({"contact_phone": ""}, "contact_phone", ""),
        ({"password_again": "something else entirely"}, "password_again", ""),
    ],
)
def test_bad_registration_input_is_shown_next_to_its_field_and_nothing_is_written(
    changes, field, words
):
    before = counts()
    response = Client().post("/registry/register/", form_data(**changes))
    assert response.status_code == 200
    assert "registry/register.html" in [t.name for t in response.templates]
    html = response.content.decode()
    error = field_error(html, field)
    assert error, f"no error shown next to {field}"
    assert words in error
    assert 'aria-invalid="true"' in html
    assert counts() == before


def test_a_duplicate_registration_is_refused_on_the_form():
    existing = make_enterprise("310104")
    before = counts()
    response = Client().post("/registry/register/", form_data(uscc=existing.uscc))
    assert existing.uscc in field_error(response.content.decode(), "uscc")
    assert counts() == before


# --- reviewing -------------------------------------------------------------------------------


@pytest.fixture
def submitted() -> Enterprise:
    enterprise = services.register_enterprise(
        uscc=make_uscc(),
        profile={
            "name": "上海浦江软件外包有限公司",
            "division": "310115",
            "ownership": "private",
            "contact_name": "李四",
            "contact_phone": "021-1",
        },
        account=services.AccountData(username="pujiang", password=PASSWORD),
    )
    enterprise.refresh_from_db()
    return enterprise


@pytest.fixture
def reviewer() -> User:
    return make_user(Role.DISTRICT_REVIEWER, division="310115")


def test_the_district_reviewer_approves_with_the_page_button(submitted, reviewer):
    client = logged_in(reviewer)
    url = f"/registry/enterprises/{submitted.uscc}/"
    html = page(client, url)
    # The approve button posts the version the reviewer saw.
    assert f'action="{url}approve/"' in html
    assert f'name="version" value="{submitted.lock_version}"' in html
    response = client.post(f"{url}approve/", {"version": submitted.lock_version}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    submitted.refresh_from_db()
    assert submitted.status == RegistrationStatus.APPROVED
    assert submitted.registered_on is not None
    html = response.content.decode()
    assert 'class="alert alert-success"' in html
    assert f'action="{url}approve/"' not in html  # nothing left to review


def test_the_district_reviewer_returns_with_a_reason(submitted, reviewer):
    client = logged_in(reviewer)
    url = f"/registry/enterprises/{submitted.uscc}/"
    response = client.post(
        f"{url}return/",
        {"version": submitted.lock_version, "reason": "电话号码不完整"},
        follow=True,
    )
    submitted.refresh_from_db()
    assert submitted.status == RegistrationStatus.RETURNED
    assert submitted.return_reason == "电话号码不完整"
    assert "电话号码不完整" in response.content.decode()


def test_returning_without_a_reason_is_refused_on_the_page(submitted, reviewer):
    url = f"/registry/enterprises/{submitted.uscc}/"
    response = logged_in(reviewer).post(
        f"{url}return/", {"version": submitted.lock_version, "reason": ""}, follow=True
    )
    assert 'class="alert alert-danger"' in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == RegistrationStatus.SUBMITTED


@pytest.mark.parametrize("decision", ["approve", "return"])
def test_a_stale_version_says_changed_by_someone_else_and_changes_nothing(
    submitted, reviewer, decision
):
    url = f"/registry/enterprises/{submitted.uscc}/"
    seen = submitted.lock_version
    # Meanwhile the registration was returned and resubmitted by others.
    services.return_registration(actor=reviewer, enterprise=submitted, reason="补充材料")
    services.resubmit_registration(
        actor=submitted.administrator,
        enterprise=submitted,
        profile={
            "name": "上海浦江软件外包有限公司",
            "division": "310115",
            "ownership": "private",
            "contact_name": "李四",
            "contact_phone": "021-58880000",
        },
    )
    submitted.refresh_from_db()
    current = (submitted.status, submitted.lock_version)
    events = AuditEvent.objects.count()
    response = logged_in(reviewer).post(
        f"{url}{decision}/", {"version": seen, "reason": "过时的决定"}, follow=True
    )
    html = response.content.decode()
    assert "changed by someone else" in html
    assert 'class="alert alert-danger"' in html
    submitted.refresh_from_db()
    assert (submitted.status, submitted.lock_version) == current
    assert AuditEvent.objects.count() == events


# --- correcting and changing the profile -------------------------------------------------------


def profile_post(enterprise: Enterprise, **changes: Any) -> dict[str, Any]:
    data = {
        "name": enterprise.name,
        "name_en": enterprise.name_en,
        "division": enterprise.division_id,
        "ownership": enterprise.ownership,
        "size": enterprise.size,
        "established_on": enterprise.established_on.isoformat()
        if enterprise.established_on
        else "",
        "address": enterprise.address,
        "contact_name": enterprise.contact_name,
        "contact_phone": enterprise.contact_phone,
        "contact_email": enterprise.contact_email,
    }
    data.update(changes)
    return data


def test_the_administrator_corrects_a_returned_registration_and_resubmits(submitted, reviewer):
    services.return_registration(actor=reviewer, enterprise=submitted, reason="电话号码不完整")
    admin = submitted.administrator
    client = logged_in(admin)
    url = f"/registry/enterprises/{submitted.uscc}/"
    assert "电话号码不完整" in page(client, url)
    form = page(client, f"{url}edit/")
    assert 'value="021-1"' in form  # the form starts from the registration as returned
    response = client.post(f"{url}edit/", profile_post(submitted, contact_phone="021-58880000"))
    assert response.status_code == 302
    assert response["Location"] == url
    submitted.refresh_from_db()
    assert submitted.status == RegistrationStatus.SUBMITTED
    assert submitted.contact_phone == "021-58880000"


def test_a_change_of_an_approved_profile_is_shown_as_requested_against_in_force():
    enterprise = make_enterprise("310115", name="上海浦江软件外包有限公司")
    admin = make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
    client = logged_in(admin)
    url = f"/registry/enterprises/{enterprise.uscc}/"
    response = client.post(f"{url}edit/", profile_post(enterprise, name="上海浦江数字科技有限公司"))
    assert response.status_code == 302
    change = ProfileChange.objects.get(enterprise=enterprise)
    assert change.proposed == {"name": "上海浦江数字科技有限公司"}
    enterprise.refresh_from_db()
    assert enterprise.name == "上海浦江软件外包有限公司"  # still in force

    html = page(client, url)
    rows = re.findall(
        r"<tr><td>(.*?)</td><td>(.*?)</td><td class=\"fw-semibold\">(.*?)</td></tr>", html
    )
    assert len(rows) == 1
    _label, in_force, requested = rows[0]
    assert in_force == "上海浦江软件外包有限公司"
    assert requested == "上海浦江数字科技有限公司"

    # The district approves it on the page; then it is in force.
    reviewer = make_user(Role.DISTRICT_REVIEWER, division="310115")
    reviewer_html = page(logged_in(reviewer), url)
    assert f'action="/registry/changes/{change.pk}/approve/"' in reviewer_html
    response = logged_in(reviewer).post(
        f"/registry/changes/{change.pk}/approve/", {"version": change.lock_version}
    )
    assert response["Location"] == url
    enterprise.refresh_from_db()
    change.refresh_from_db()
    assert enterprise.name == "上海浦江数字科技有限公司"
    assert change.status == ChangeStatus.APPROVED


def test_the_enterprise_withdraws_a_change_on_the_page():
    enterprise = make_enterprise("310115")
    admin = make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
    change = services.propose_change(actor=admin, enterprise=enterprise, profile={"size": "large"})
    # A reviewer of another district cannot reach it.
    other = make_user(Role.DISTRICT_REVIEWER, division="310104")
    assert logged_in(other).post(f"/registry/changes/{change.pk}/approve/").status_code == 404
    response = logged_in(admin).post(f"/registry/changes/{change.pk}/withdraw/")
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == ChangeStatus.WITHDRAWN


def test_the_history_lists_the_audit_events(submitted, reviewer):
    services.return_registration(actor=reviewer, enterprise=submitted, reason="电话号码不完整")
    html = page(logged_in(reviewer), f"/registry/enterprises/{submitted.uscc}/")
    actions = re.findall(r'<li data-action="([a-z_.]+)">', html)
    assert actions == ["registry.enterprise.returned", "registry.enterprise.registered"]
    assert reviewer.username in html
    assert "— 电话号码不完整" in html


# --- certifications, users, deregistration by page ----------------------------------------------


def test_a_certification_with_its_scan_is_added_on_the_page(tmp_path):
    enterprise = make_enterprise("310115")
    admin = make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
    url = f"/registry/enterprises/{enterprise.uscc}/"
    response = logged_in(admin).post(
        f"{url}certifications/add/",
        {
            "kind": "CMMI",
            "level": "3",
            "certificate_no": "CMMI-2023-0042",
            "issuer": "CMMI Institute",
            "valid_from": "2023-01-01",
            "valid_to": "2026-01-01",
            "scan": SimpleUploadedFile("cmmi.pdf", b"%PDF-1.4 scan", "application/pdf"),
        },
    )
    assert response.status_code == 302
    certification = Certification.objects.get(enterprise=enterprise)
    assert certification.level == 3
    assert certification.scan.name.startswith(f"certificates/{enterprise.uscc}/")
    event = AuditEvent.objects.get(action="registry.certification.added")
    assert event.after["scan"] == certification.scan.name
    # The scan is read through the enterprise's page, by those who see the enterprise only.
    scan_url = f"{url}certifications/{certification.pk}/scan/"
    assert scan_url in logged_in(admin).get(url).content.decode()
    response = logged_in(make_user(Role.DISTRICT_REVIEWER, division="310115")).get(scan_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 scan"  # type: ignore[attr-defined]
    elsewhere = make_user(Role.DISTRICT_REVIEWER, division="320508")
    assert logged_in(elsewhere).get(scan_url).status_code == 404
    other = make_user(Role.ENTERPRISE_ADMIN, enterprise=make_enterprise("310115"))
    assert logged_in(other).get(scan_url).status_code == 404
    assert Client().get(f"/media/{certification.scan.name}").status_code == 404


def test_an_iso_certificate_with_a_level_is_kept_without_one_and_cmmi_without_one_refused():
    enterprise = make_enterprise("310115")
    client = logged_in(make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise))
    url = f"/registry/enterprises/{enterprise.uscc}/certifications/add/"
    base = {
        "certificate_no": "X-1",
        "issuer": "CQC",
        "valid_from": "2023-01-01",
        "valid_to": "2026-01-01",
    }
    response = client.post(url, {**base, "kind": "CMMI", "level": ""})
    assert response.status_code == 200
    assert field_error(response.content.decode(), "level")
    assert not Certification.objects.exists()
    assert client.post(url, {**base, "kind": "ISO27001", "level": ""}).status_code == 302
    assert Certification.objects.get().level is None


def test_the_administrator_adds_a_filer_and_hands_over_administration():
    enterprise = make_enterprise("310115")
    admin = make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise)
    client = logged_in(admin)
    url = f"/registry/enterprises/{enterprise.uscc}/"
    response = client.post(
        f"{url}users/add/",
        {"username": "pujiang-filer", "display_name": "赵六", "password": PASSWORD},
    )
    assert response.status_code == 302
    filer = User.objects.get(username="pujiang-filer")
    assert (filer.role, filer.enterprise) == (Role.ENTERPRISE_FILER, enterprise)
    assert client.post(f"{url}users/{filer.pk}/make_admin/").status_code == 302
    filer.refresh_from_db()
    admin.refresh_from_db()
    assert (filer.role, admin.role) == (Role.ENTERPRISE_ADMIN, Role.ENTERPRISE_FILER)
    # The former administrator no longer reaches the user pages.
    assert client.get(f"{url}users/add/").status_code == 404


def test_the_district_reviewer_deregisters_on_the_page():
    enterprise = make_enterprise("310115")
    reviewer = make_user(Role.DISTRICT_REVIEWER, division="310115")
    url = f"/registry/enterprises/{enterprise.uscc}/"
    response = logged_in(reviewer).post(
        f"{url}deregister/",
        {"on": "2024-06-30", "reason": "企业已注销", "version": enterprise.lock_version},
    )
    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.status == RegistrationStatus.DEREGISTERED
    assert enterprise.deregistered_on.isoformat() == "2024-06-30"


def test_the_list_page_filters_by_division_and_status():
    pudong = make_enterprise("310115")
    yangpu = make_enterprise("310110", status=RegistrationStatus.SUBMITTED)
    jiyuan = make_enterprise("419001")
    client = logged_in(make_user(Role.MINISTRY_STATISTICIAN))

    def listed(query: str) -> set[str]:
        html = page(client, f"/registry/enterprises/?{query}")
        return set(re.findall(r"<td><code>([0-9A-Z]{18})</code></td>", html))

    assert listed("") == {pudong.uscc, yangpu.uscc, jiyuan.uscc}
    assert listed("division=310000") == {pudong.uscc, yangpu.uscc}
    assert listed("division=310110") == {yangpu.uscc}
    assert listed("division=410000") == {jiyuan.uscc}
    assert listed("status=submitted") == {yangpu.uscc}
    assert listed(f"q={jiyuan.uscc[-6:]}") == {jiyuan.uscc}


# --- language --------------------------------------------------------------------------------


def test_pages_are_in_simplified_chinese_by_default():
    html = page(Client(), "/registry/register/")
    assert '<html lang="zh-CN">' in html
    assert "企业登记" in html  # "Register an enterprise"


def test_the_language_switch_changes_the_page_language():
    client = Client()
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/registry/register/"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/registry/register/"
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Register an enterprise" in html
    # and it stays so on the next page
    assert '<html lang="en">' in page(client, "/accounts/login/")
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-CN">' in page(client, "/accounts/login/")


# --- signing in ------------------------------------------------------------------------------


def test_signing_in_on_the_login_page():
    user = make_user(Role.MINISTRY_STATISTICIAN, username="tongji")
    client = Client()
    response = client.post("/accounts/login/", {"username": "tongji", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_wrong_password_is_refused_with_a_message():
    make_user(Role.MINISTRY_STATISTICIAN, username="tongji")
    client = Client()
    response = client.post("/accounts/login/", {"username": "tongji", "password": "wrong"})
    assert response.status_code == 200
    assert "The user name or the password is wrong" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_five_wrong_passwords_lock_the_account():
    make_user(Role.MINISTRY_STATISTICIAN, username="tongji")
    client = Client()
    for _attempt in range(5):
        response = client.post("/accounts/login/", {"username": "tongji", "password": "guess"})
        assert "_auth_user_id" not in client.session
    response = client.post("/accounts/login/", {"username": "tongji", "password": PASSWORD})
    assert response.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in response.templates]
    assert "_auth_user_id" not in client.session
    # Someone else is not locked out by it.
    make_user(Role.MINISTRY_STATISTICIAN, username="another")
    other = Client()
    other.post("/accounts/login/", {"username": "another", "password": PASSWORD})
    assert "_auth_user_id" in other.session


def test_passwords_are_hashed_with_argon2_by_the_production_hashers(settings):
    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS
    Client().post("/registry/register/", form_data(username="argon"))
    user = User.objects.get(username="argon")
    assert user.password.startswith("argon2$")
    assert PASSWORD not in user.password
    client = Client()
    client.post("/accounts/login/", {"username": "argon", "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(user.pk)
