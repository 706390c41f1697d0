"""In Debian's chromium: Suzhou's evaluator fills and sends its form, the ministry returns it
with a reason, the city corrects and sends it again, the ministry approves it from the review
queue, closes and publishes the round; the public ranking page is kept as a screenshot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from soms.accounts.choices import Role
from soms.core.browser import browser_page, chromium_path
from soms.evaluation import services
from soms.evaluation.choices import RoundStatus, SubmissionStatus
from soms.evaluation.models import IndicatorValue, Submission
from soms.evaluation.tests.conftest import OWN, World, build_round, evaluators
from soms.testing import PASSWORD, make_user

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


def test_a_citys_submission_the_ministrys_review_and_the_ranking(live_server) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(Role.MINISTRY_ADMIN, username="b-admin")
    evaluation_round = build_round(admin)
    services.open_round(admin, evaluation_round)
    world = World(admin, evaluation_round, evaluators())
    for code in ("420100", "210200", "320400"):
        world.fill(code)
    suzhou = world.city("320500")
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)

    def field(code: str) -> str:
        return f"#id_own-value_{world.indicator(code).pk}"

    with browser_page(width=1400, height=900) as page:
        # Suzhou's evaluator finds its form from the list and sends it, a figure wrong.
        sign_in(page, base, "eval-320500")
        page.goto(f"{base}/evaluation/")
        page.click("[data-testid=own-submission]")
        for code, value in OWN["320500"].items():
            page.fill(field(code), value)
        page.fill(field("2.1"), "120")
        page.click("[data-testid=submit]")
        page.wait_for_selector("[data-testid=submission-status]")
        assert Submission.objects.get(city=suzhou).status == SubmissionStatus.SUBMITTED
        assert not page.is_visible("[data-testid=submit]")
        sign_out(page)

        # The ministry opens it from the review queue and returns it.
        sign_in(page, base, "b-admin")
        page.goto(f"{base}/evaluation/rounds/{evaluation_round.pk}/review/")
        page.click("[data-testid=open-320500]")
        page.fill("#id_reason", "平台数应为12个，请核对")
        page.click("[data-testid=return]")
        page.wait_for_selector("[data-testid=review-queue]")
        assert Submission.objects.get(city=suzhou).status == SubmissionStatus.RETURNED
        sign_out(page)

        # The city reads the reason, corrects the figure and sends it again.
        sign_in(page, base, "eval-320500")
        page.goto(f"{base}/evaluation/rounds/{evaluation_round.pk}/cities/320500/")
        assert "平台数应为12个" in page.inner_text("[data-testid=return-reason]")
        page.fill(field("2.1"), "12")
        page.click("[data-testid=submit]")
        page.wait_for_selector("[data-testid=submission-status]")
        sign_out(page)

        # The ministry approves it, enters its external figure, closes and publishes.
        sign_in(page, base, "b-admin")
        page.goto(f"{base}/evaluation/rounds/{evaluation_round.pk}/cities/320500/")
        page.fill(f"#id_external-value_{world.indicator('5.1').pk}", "8000")
        page.click("[data-testid=external-form] button[type=submit]")
        page.wait_for_selector("[data-testid=review-box]")
        page.click("[data-testid=approve]")
        page.wait_for_selector("[data-testid=review-queue]")
        page.goto(f"{base}/evaluation/rounds/{evaluation_round.pk}/")
        page.click("[data-testid=close-round]")
        page.wait_for_selector("[data-testid=publish-round]")
        page.click("[data-testid=publish-round]")
        page.wait_for_selector("[data-testid=round-status]")
        sign_out(page)

        submission = Submission.objects.get(city=suzhou)
        assert submission.status == SubmissionStatus.APPROVED
        evaluation_round.refresh_from_db()
        assert evaluation_round.status == RoundStatus.PUBLISHED
        platforms = IndicatorValue.objects.get(city=suzhou, indicator=world.indicator("2.1"))
        assert platforms.value == 12

        # Anyone sees the published ranking.
        page.goto(f"{base}/evaluation/")
        page.click(f"[data-testid=open-round-{evaluation_round.pk}]")
        page.wait_for_selector("[data-testid=ranking-table]")
        rows = page.locator("[data-testid^=rank-]")
        assert rows.count() == 4
        assert not page.is_visible("[data-testid=provisional]")
        page.screenshot(path=str(ARTIFACTS / "evaluation-ranking.png"), full_page=True)
