"""In Debian's chromium: every role signs in on the Chinese page; an enterprise registers."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.utils.translation import override

from soms.accounts.choices import Role
from soms.core.browser import browser_page, chromium_path
from soms.registry.models import Enterprise
from soms.testing import PASSWORD, make_enterprise, make_uscc, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed"),
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _allow_orm_beside_playwright() -> None:
    # Playwright's sync API runs an event loop in this thread; the ORM calls here are sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def _users() -> list[tuple[str, str]]:
    enterprise = make_enterprise("310115")
    bindings = {
        Role.ENTERPRISE_ADMIN: {"enterprise": enterprise},
        Role.ENTERPRISE_FILER: {"enterprise": enterprise},
        Role.DISTRICT_REVIEWER: {"division": "310115"},
        Role.CITY_REVIEWER: {"division": "320500"},
        Role.PROVINCE_REVIEWER: {"division": "320000"},
        Role.MINISTRY_STATISTICIAN: {},
        Role.MINISTRY_ADMIN: {},
        Role.CITY_EVALUATOR: {"division": "320500"},
    }
    users = []
    for role, binding in bindings.items():
        user = make_user(role, username=f"b-{role}", **binding)
        users.append((user.username, role))
    return users


def test_every_role_signs_in_on_the_chinese_page(live_server) -> None:  # type: ignore[no-untyped-def]
    users = _users()
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page() as page:
        for username, role in users:
            page.goto(f"{live_server.url}/accounts/login/")
            assert page.get_attribute("html", "lang") == "zh-CN"
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            page.click("main form button[type=submit]")
            page.wait_for_selector("[data-testid=whoami]")
            whoami = page.inner_text("[data-testid=whoami]")
            with override("zh-hans"):
                label = str(Role(role).label)
            assert CJK.search(label), f"role {role} has no Chinese name"
            assert label in whoami
            page.screenshot(path=str(ARTIFACTS / f"home-{role}.png"))
            page.click("[data-testid=logout] button")
            page.wait_for_selector("a[href='/accounts/login/']")


def test_wrong_password_is_refused_in_both_languages(live_server) -> None:  # type: ignore[no-untyped-def]
    make_user(Role.MINISTRY_ADMIN, username="b-admin")
    with browser_page() as page:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "b-admin")
        page.fill("#id_password", "not the password")
        page.click("main form button[type=submit]")
        alert = page.inner_text(".alert-danger")
        assert CJK.search(alert) and re.search(r"[A-Za-z]{4}", alert)


def test_an_enterprise_registers_and_the_district_approves(live_server) -> None:  # type: ignore[no-untyped-def]
    make_user(Role.DISTRICT_REVIEWER, username="b-pudong", division="310115")
    uscc = make_uscc(424242)
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page() as page:
        page.goto(f"{live_server.url}/registry/register/")
        page.fill("#id_uscc", uscc[:-1] + ("0" if uscc[-1] != "0" else "1"))  # wrong check char
        page.fill("#id_name", "上海浦东云服外包有限公司")
        page.fill("#id_division", "310115")
        page.select_option("#id_ownership", "private")
        page.fill("#id_contact_name", "李四")
        page.fill("#id_contact_phone", "021-5555-0000")
        page.fill("#id_username", "b-yunfu")
        page.fill("#id_password", "Yunfu-2026-pass")
        page.fill("#id_password_again", "Yunfu-2026-pass")
        page.click("main form button[type=submit]")
        error = page.inner_text("[data-field-error=uscc]")
        assert "GB 32100-2015" in error and CJK.search(error)
        assert not Enterprise.objects.exists()

        page.fill("#id_uscc", uscc)
        page.fill("#id_password", "Yunfu-2026-pass")
        page.fill("#id_password_again", "Yunfu-2026-pass")
        page.click("main form button[type=submit]")
        page.wait_for_selector(".alert-success")
        assert Enterprise.objects.get(uscc=uscc).status == "submitted"

        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "b-pudong")
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.goto(f"{live_server.url}/registry/review/")
        page.screenshot(path=str(ARTIFACTS / "registry-review-queue.png"), full_page=True)
        page.click(f"a[href='/registry/enterprises/{uscc}/']")
        page.click("form[action$='/approve/'] button")
        page.wait_for_selector(".alert-success")
        assert Enterprise.objects.get(uscc=uscc).status == "approved"
        page.screenshot(path=str(ARTIFACTS / "registry-approved.png"), full_page=True)
