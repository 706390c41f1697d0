"""In Debian's chromium: an enterprise uploads a file, watches the progress bar reach 100% and
downloads the copy of its file with the errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from openpyxl import load_workbook

from soms.core.browser import browser_page, chromium_path
from soms.exchange.tests.test_jobs import contracts_csv, setup_firm
from soms.filing.models import Contract
from soms.testing import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed"),
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.fixture(autouse=True)
def _allow_orm_beside_playwright() -> None:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def test_upload_progress_and_error_report(live_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    firm, filer = setup_firm()
    filer.set_password(PASSWORD)
    filer.save()
    upload = tmp_path / "contracts.csv"
    upload.write_bytes(contracts_csv(firm, 300, bad={150}))
    ARTIFACTS.mkdir(exist_ok=True)
    with browser_page(width=1280, height=900) as page:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", filer.username)
        page.fill("#id_password", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_selector("[data-testid=whoami]")
        page.click("[data-testid=nav-import]")
        page.select_option("#id_kind", "contracts")
        page.set_input_files("#id_file", str(upload))
        page.check("#id_partial")
        page.click("[data-testid=upload]")
        page.wait_for_selector("[data-testid=progress-bar]")
        seen = set()
        for _ in range(600):  # the bar moves while the job runs, then reaches 100%
            seen.add(page.inner_text("[data-testid=progress-bar]"))
            if "100%" in seen:
                break
            page.wait_for_timeout(100)
        assert "100%" in seen
        page.wait_for_selector("[data-testid=error-report]")
        page.screenshot(path=str(ARTIFACTS / "import-job.png"), full_page=True)
        page.reload()  # the job's state survives a reload
        assert "100%" in page.inner_text("[data-testid=progress-bar]")
        with page.expect_download() as download:
            page.click("[data-testid=error-report]")
        report = tmp_path / "errors.xlsx"
        download.value.save_as(report)
    rows = list(load_workbook(report).active.iter_rows(values_only=True))
    flagged = [(n, row[-1]) for n, row in enumerate(rows[1:], start=2) if row[-1]]
    assert len(flagged) == 1 and flagged[0][0] == 151 and "亿" in flagged[0][1]
    assert Contract.objects.count() == 299
