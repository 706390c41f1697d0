"""In Debian's chromium: the month's path from filing to the city's sign-off (issue P2)."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from soms.accounts.choices import Role
from soms.core.browser import browser_page, chromium_path
from soms.filing.choices import RecordStatus
from soms.filing.models import Contract, Execution
from soms.reference.services import save_rates
from soms.review.models import SignOff
from soms.testing import PASSWORD, make_enterprise, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed"),
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.fixture(autouse=True)
def _allow_orm_beside_playwright() -> None:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_selector("[data-testid=whoami]")


def sign_out(page) -> None:  # type: ignore[no-untyped-def]
    page.click("[data-testid=logout] button")


def test_file_return_correct_approve_and_sign_off(live_server) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    month = today.replace(day=1)
    save_rates(actor="test", rates=[(month, "USD", Decimal("7.12"))])
    enterprise = make_enterprise("320508")
    make_user(Role.ENTERPRISE_ADMIN, enterprise=enterprise, username="b-filer")
    make_user(Role.DISTRICT_REVIEWER, division="320508", username="b-gusu")
    make_user(Role.CITY_REVIEWER, division="320500", username="b-suzhou")
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)

    with browser_page(width=1280, height=900) as page:
        # The enterprise files a contract and an execution.
        sign_in(page, base, "b-filer")
        page.goto(f"{base}/filing/contract/new/")
        page.fill("#id_contract_no", "SZ-2026-001")
        page.select_option("#id_direction", "inbound")
        page.fill("#id_counterpart_name", "Northwind Traders Ltd.")
        page.fill("#id_counterpart_country", "US")
        page.select_option("#id_category", "ITO01")
        page.select_option("#id_currency", "USD")
        page.fill("#id_amount", "250000.00")
        page.fill("#id_signed_on", today.isoformat())
        page.click("main form[method=post] button[type=submit]")
        page.wait_for_selector("[data-testid=status]")
        page.click("form[action$='/submit/'] button[type=submit]")
        page.wait_for_selector(".alert-success")
        contract = Contract.objects.get(contract_no="SZ-2026-001")
        assert contract.status == RecordStatus.SUBMITTED

        page.goto(f"{base}/filing/execution/new/")
        page.select_option("#id_contract", str(contract.pk))
        page.fill("#id_execution_no", "E-001")
        page.fill("#id_executed_on", today.isoformat())
        page.select_option("#id_currency", "USD")
        page.fill("#id_amount", "80000.00")
        page.fill("#id_receipt_no", "BOC-7781")
        page.click("main form[method=post] button[type=submit]")
        page.wait_for_selector("[data-testid=status]")
        page.click("form[action$='/submit/'] button[type=submit]")
        page.wait_for_selector(".alert-success")
        execution = Execution.objects.get(execution_no="E-001")
        assert execution.status == RecordStatus.SUBMITTED
        sign_out(page)

        # The district reviewer approves the contract and returns the execution with a reason.
        sign_in(page, base, "b-gusu")
        page.goto(f"{base}/filing/review/")
        page.wait_for_selector("[data-testid=queue]")
        page.screenshot(path=str(ARTIFACTS / "review-queue.png"), full_page=True)
        page.goto(f"{base}/filing/contract/{contract.pk}/")
        page.click("form[action$='/approve/'] button[type=submit]")
        page.wait_for_selector(".alert-success")
        page.goto(f"{base}/filing/execution/{execution.pk}/")
        page.fill("form[action$='/return/'] textarea", "收汇凭证号与银行回单不符")
        page.click("form[action$='/return/'] button[type=submit]")
        page.wait_for_selector(".alert-success")
        execution.refresh_from_db()
        assert execution.status == RecordStatus.RETURNED
        sign_out(page)

        # The enterprise corrects the receipt number and submits again.
        sign_in(page, base, "b-filer")
        page.goto(f"{base}/filing/execution/{execution.pk}/")
        assert "收汇凭证号与银行回单不符" in page.inner_text("[data-testid=return-reason]")
        page.goto(f"{base}/filing/execution/{execution.pk}/edit/")
        page.fill("#id_receipt_no", "BOC-7781-02")
        page.click("main form[method=post] button[type=submit]")
        page.wait_for_selector("[data-testid=status]")
        page.click("form[action$='/submit/'] button[type=submit]")
        page.wait_for_selector(".alert-success")
        sign_out(page)

        # The reviewer approves it and signs the district's month off.
        sign_in(page, base, "b-gusu")
        page.goto(f"{base}/filing/execution/{execution.pk}/")
        page.click("form[action$='/approve/'] button[type=submit]")
        page.wait_for_selector(".alert-success")
        execution.refresh_from_db()
        assert execution.status == RecordStatus.APPROVED
        assert execution.receipt_no == "BOC-7781-02"
        page.goto(f"{base}/review/signoff/?month={month:%Y-%m}")
        page.click("[data-testid=sign-off]")
        page.wait_for_selector("[data-testid=own-unit][data-state=signed]")
        sign_out(page)

        # The city signs the month off.
        sign_in(page, base, "b-suzhou")
        page.goto(f"{base}/review/signoff/?month={month:%Y-%m}")
        page.wait_for_selector('tr[data-unit="county:320508"][data-state="signed"]')
        page.click("[data-testid=sign-off]")
        page.wait_for_selector("[data-testid=own-unit][data-state=signed]")
        page.screenshot(path=str(ARTIFACTS / "signoff-dashboard.png"), full_page=True)

    assert SignOff.objects.filter(
        period=month, level="city", division_id="320500", status="signed"
    ).exists()
