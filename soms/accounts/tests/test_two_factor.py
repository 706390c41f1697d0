"""Two-factor sign-in (soms.accounts.two_factor): officials must set up an authenticator where it
is required, anyone may where it is optional, whoever has one is asked for its code; wrong codes
are refused and throttled, every change is audited, an administrator resets a lost phone.

Codes are computed from the device's key as an authenticator app would (django_otp.oath.totp)."""

from __future__ import annotations

import datetime as dt
import io
import time
from urllib.parse import urlencode

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from soms.accounts import two_factor
from soms.accounts.choices import Role
from soms.accounts.models import ApiToken, User
from soms.audit.models import AuditEvent
from soms.audit.services import verify_chain
from soms.core.tests.test_settings import POSTGRES, refused, start
from soms.testing import PASSWORD, make_enterprise, make_user

pytestmark = pytest.mark.django_db

SETUP = reverse("accounts:two_factor_setup")
VERIFY = reverse("accounts:two_factor_verify")
ACCOUNT = reverse("accounts:two_factor")
REMOVE = reverse("accounts:two_factor_remove")
PAGE = reverse("filing:review_queue")  # a page a district reviewer opens


def code(device: TOTPDevice) -> str:
    """The code the app shows now; or, if this step's code was already used (a code is accepted
    once), the next step's, which the device accepts within its tolerance of one step."""
    device.refresh_from_db()
    now = int((time.time() - device.t0) // device.step)
    drift = max(device.drift, device.last_t + 1 - now)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, drift):06d}"


def wrong_code(device: TOTPDevice) -> str:
    accepted = {
        totp(device.bin_key, device.step, device.t0, device.digits, drift)
        for drift in (-1, 0, 1, 2)
    }
    return next(f"{n:06d}" for n in range(123456, 10**6) if n not in accepted)


def sign_in(client: Client, user: User, next_url: str = PAGE) -> str:
    """Password sign-in; returns where the browser ends up (following redirects)."""
    response = client.post(
        f"{reverse('accounts:login')}?{urlencode({'next': next_url})}",
        {"username": user.username, "password": PASSWORD, "next": next_url},
        follow=True,
    )
    assert response.status_code == 200
    return response.redirect_chain[-1][0] if response.redirect_chain else ""


def events(user: User) -> list[str]:
    return list(
        AuditEvent.objects.filter(action__startswith="accounts.two_factor.", object_id=str(user.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )


@pytest.fixture
def required(settings):  # type: ignore[no-untyped-def]
    settings.SOMS_TWO_FACTOR = "required"


@pytest.fixture
def reviewer() -> User:
    return make_user(Role.DISTRICT_REVIEWER, division="310115")


def enrolled(user: User) -> TOTPDevice:
    device = two_factor.device_being_set_up(user)
    two_factor.confirm(user=user, token=code(device))
    device.refresh_from_db()
    return device


# --- required ---------------------------------------------------------------------------------


def test_an_official_sets_up_the_authenticator_then_enters_a_code_at_each_sign_in(
    client, required, reviewer
):
    # The password alone leads to set-up, and every page but set-up sends back there.
    assert sign_in(client, reviewer) == f"{SETUP}?{urlencode({'next': PAGE})}"
    page = client.get(SETUP)
    secret = page.context["secret"]
    assert "<svg" in page.content.decode() and secret in page.content.decode()
    assert "no-store" in page["Cache-Control"]  # the key stays out of caches
    assert client.get(PAGE).url == f"{SETUP}?{urlencode({'next': PAGE})}"
    assert client.get(reverse("accounts:password")).url.startswith(SETUP)
    device = TOTPDevice.objects.get(user=reviewer)
    assert not device.confirmed
    assert secret.replace(" ", "") in device.config_url  # the QR code and the text: one key

    # A wrong code is refused, in both languages, and sets nothing up.
    response = client.post(SETUP, {"token": wrong_code(device), "next": PAGE})
    assert response.status_code == 200
    text = response.content.decode()
    assert "The code is wrong or has expired" in text and "验证码错误或已过期" in text
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    # Not six digits: refused before any code is checked.
    response = client.post(SETUP, {"token": "12ab"})
    assert "Enter the six digits" in response.content.decode()

    # The right code sets it up and lets the official in, to the page asked for.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    response = client.post(SETUP, {"token": code(device), "next": PAGE})
    assert response.status_code == 302 and response.url == PAGE
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get(PAGE).status_code == 200
    assert client.get(SETUP).url == ACCOUNT  # one authenticator per account

    # Signed out and in again: the code page, and only the right code opens the pages.
    client.post(reverse("accounts:logout"))
    assert sign_in(client, reviewer) == f"{VERIFY}?{urlencode({'next': PAGE})}"
    assert client.get(PAGE).url == f"{VERIFY}?{urlencode({'next': PAGE})}"
    assert client.get(SETUP).url == ACCOUNT  # no second authenticator before the code
    response = client.post(VERIFY, {"token": wrong_code(device), "next": PAGE})
    assert response.status_code == 200 and "验证码错误或已过期" in response.content.decode()
    assert client.get(PAGE).status_code == 302
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    response = client.post(VERIFY, {"token": code(device), "next": PAGE})
    assert response.status_code == 302 and response.url == PAGE
    assert client.get(PAGE).status_code == 200
    assert events(reviewer) == ["accounts.two_factor.enrolled", "accounts.two_factor.verified"]
    assert verify_chain().ok


def test_an_unverified_session_may_still_sign_out_and_switch_language(client, required, reviewer):
    sign_in(client, reviewer)
    response = client.post(reverse("set_language"), {"language": "en", "next": SETUP})
    assert response.status_code == 302 and response.url == SETUP
    assert client.get("/static/css/soms.css").status_code in (200, 404)  # never a redirect
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(PAGE).url.startswith(reverse("accounts:login"))


def test_an_htmx_request_is_sent_to_the_code_page_whole(client, required, reviewer):
    sign_in(client, reviewer)
    response = client.get(PAGE, headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == SETUP


def test_enterprise_users_are_never_required(client, required):
    filer = make_user(Role.ENTERPRISE_FILER, enterprise=make_enterprise("310115"))
    assert sign_in(client, filer, "/") == "/"
    home = reverse("filing:home")
    assert client.get(home).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(home)
    assert not [q for q in queries.captured_queries if "otp_totp" in q["sql"]]  # not even looked up
    page = client.get(ACCOUNT)
    assert page.context["required"] is False and "对您而言这是可选的" in page.content.decode()


def test_an_enterprise_user_who_set_it_up_is_asked_for_the_code(client, required):
    admin = make_user(Role.ENTERPRISE_ADMIN, enterprise=make_enterprise("310115"))
    device = enrolled(admin)
    assert sign_in(client, admin, "/") == f"{VERIFY}?{urlencode({'next': '/'})}"
    assert client.post(VERIFY, {"token": code(device)}).url == "/"


def test_every_government_role_is_required(required):
    for role in Role:
        assert two_factor.required_for(User(role=role)) == (not role.startswith("enterprise_"))


# --- optional ---------------------------------------------------------------------------------


def test_optional_nobody_is_sent_anywhere_until_they_set_it_up(client, reviewer, settings):
    assert settings.SOMS_TWO_FACTOR == "optional"  # development's and the tests' default
    assert sign_in(client, reviewer) == PAGE
    assert client.get(PAGE).status_code == 200
    page = client.get(ACCOUNT)
    assert page.status_code == 200 and SETUP in page.content.decode()
    # Set up from the account page, by choice.
    assert client.get(SETUP).status_code == 200
    device = TOTPDevice.objects.get(user=reviewer)
    assert client.post(SETUP, {"token": code(device)}).url == "/"
    client.post(reverse("accounts:logout"))
    # From now on the sign-in asks for the code.
    assert sign_in(client, reviewer) == f"{VERIFY}?{urlencode({'next': PAGE})}"
    assert client.get(PAGE).status_code == 302
    assert client.post(VERIFY, {"token": code(device), "next": PAGE}).url == PAGE
    assert client.get(PAGE).status_code == 200


def test_the_code_page_of_a_user_without_authenticator_lets_them_on(client, reviewer):
    client.force_login(reviewer)
    assert client.get(VERIFY, {"next": PAGE}).url == PAGE
    assert client.get(VERIFY, {"next": "https://elsewhere.example/"}).url == "/"


def test_removing_the_authenticator_needs_a_current_code(client, reviewer):
    device = enrolled(reviewer)
    sign_in(client, reviewer)
    client.post(VERIFY, {"token": code(device)})
    response = client.post(REMOVE, {"token": wrong_code(device)})
    assert response.status_code == 200 and "验证码错误或已过期" in response.content.decode()
    assert TOTPDevice.objects.filter(user=reviewer).exists()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    assert client.post(REMOVE, {"token": code(device)}).url == ACCOUNT
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    assert client.get(REMOVE).status_code == 405
    assert events(reviewer) == [
        "accounts.two_factor.enrolled",
        "accounts.two_factor.verified",
        "accounts.two_factor.removed",
    ]
    client.post(reverse("accounts:logout"))
    assert sign_in(client, reviewer) == PAGE


def test_where_it_is_required_removing_it_leads_to_setting_up_a_new_one(client, required, reviewer):
    device = enrolled(reviewer)
    sign_in(client, reviewer)
    client.post(VERIFY, {"token": code(device)})
    client.post(REMOVE, {"token": code(device)})
    assert client.get(PAGE).url.startswith(SETUP)


def test_the_pages_are_for_signed_in_users(client):
    login = reverse("accounts:login")
    for url in (ACCOUNT, SETUP, VERIFY):
        assert client.get(url).url.startswith(login)
    assert client.post(REMOVE, {"token": "123456"}).url.startswith(login)
    assert not TOTPDevice.objects.exists()


# --- throttling -------------------------------------------------------------------------------


def test_repeated_wrong_codes_are_throttled(client, reviewer):
    device = enrolled(reviewer)
    sign_in(client, reviewer)
    for _attempt in range(3):
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
        client.post(VERIFY, {"token": wrong_code(device)})
    device.refresh_from_db()
    assert device.throttling_failure_count == 3
    # The wait after three failures (4 seconds) runs: even the right code is refused, and
    # refusing it is not counted as a fourth failure.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=dt.datetime.now(dt.UTC)
    )
    response = client.post(VERIFY, {"token": code(device)})
    text = response.content.decode()
    assert "Too many wrong codes" in text and "错误次数过多" in text
    device.refresh_from_db()
    assert device.throttling_failure_count == 3
    assert client.get(PAGE).status_code == 302
    # Once the wait is over the right code opens the pages, and the count starts again.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    )
    assert client.post(VERIFY, {"token": code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0
    # Wrong codes are counted on the device, not written to the audit trail.
    assert events(reviewer) == ["accounts.two_factor.enrolled", "accounts.two_factor.verified"]


def test_a_code_is_accepted_once(reviewer):
    device = enrolled(reviewer)
    used = code(device)
    two_factor.verify(user=reviewer, token=used)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    with pytest.raises(two_factor.ServiceError) as refusal:
        two_factor.verify(user=reviewer, token=used)
    assert refusal.value.code == "wrong_code"


# --- the API ----------------------------------------------------------------------------------


def test_the_api_takes_tokens_but_no_unverified_session(client, required, reviewer):
    url = "/api/v1/enterprises/"
    _token, key = ApiToken.issue(reviewer, "statistics office")
    assert Client().get(url, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    sign_in(client, reviewer)
    assert client.get(url).status_code == 401
    device = TOTPDevice.objects.get(user=reviewer)
    client.post(SETUP, {"token": code(device)})
    assert client.get(url).status_code == 200


# --- reset ------------------------------------------------------------------------------------


def test_a_ministry_administrator_resets_a_lost_phone(client, required, reviewer):
    minister = make_user(Role.MINISTRY_ADMIN, username="ministry-admin-2fa")
    enrolled(reviewer)
    out = io.StringIO()
    call_command(
        "reset_two_factor", reviewer.username, by=minister.username, reason="phone lost", stdout=out
    )
    assert "reset (1 device(s) removed)" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    event = AuditEvent.objects.get(action="accounts.two_factor.reset")
    assert (event.actor_id, event.object_id, event.reason, event.channel) == (
        minister.pk,
        str(reviewer.pk),
        "phone lost",
        "cli",
    )
    # The official sets up a new one at the next sign-in.
    assert sign_in(client, reviewer).startswith(SETUP)
    # Nothing left to reset; unknown names refused.
    with pytest.raises(CommandError, match="not set up"):
        call_command("reset_two_factor", reviewer.username)
    with pytest.raises(CommandError, match="No user"):
        call_command("reset_two_factor", "nobody")
    with pytest.raises(CommandError, match="No active ministry administrator"):
        call_command("reset_two_factor", reviewer.username, by=reviewer.username)


def test_only_a_ministry_administrator_resets(reviewer):
    enrolled(reviewer)
    other = make_user(Role.PROVINCE_REVIEWER, division="310000")
    with pytest.raises(two_factor.NotPermitted):
        two_factor.reset(actor=other, user=reviewer)
    assert TOTPDevice.objects.filter(user=reviewer).exists()
    assert two_factor.reset(actor="command line", user=reviewer) == 1


def test_a_session_verified_by_a_reset_device_is_verified_no_more(client, required, reviewer):
    device = enrolled(reviewer)
    sign_in(client, reviewer)
    client.post(VERIFY, {"token": code(device)})
    assert client.get(PAGE).status_code == 200
    two_factor.reset(actor="command line", user=reviewer)
    assert client.get(PAGE).url.startswith(SETUP)


def test_the_admin_site_shows_no_authenticator_keys():
    from django.contrib import admin

    assert not admin.site.is_registered(TOTPDevice)


# --- settings ---------------------------------------------------------------------------------


def test_production_requires_two_factor_and_refuses_an_unknown_mode():
    values = {"SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "soms.example.cn", "DATABASE_URL": POSTGRES}
    shown = start(
        "import django; from django.conf import settings; django.setup();"
        " print(settings.SOMS_TWO_FACTOR)",
        **values,
    )
    assert shown.stdout.split() == ["required"], shown.stderr
    assert "SOMS_TWO_FACTOR must be" in refused(start(SOMS_TWO_FACTOR="always", **values))
