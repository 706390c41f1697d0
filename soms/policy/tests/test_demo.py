"""The demo's targets: every target of policy-targets-and-programs.md, configured once, each
evaluated (on the reference data alone, before any filing)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from soms.accounts.choices import Role
from soms.audit.models import AuditEvent
from soms.demo.policy import ADMINISTRATOR, configure_demo_targets
from soms.policy.choices import Status
from soms.policy.models import ExternalSeries, Target
from soms.policy.progress import evaluate
from soms.testing import make_user

pytestmark = pytest.mark.django_db

TARGETS_FILE = (
    Path(settings.BASE_DIR).parent / "shared" / "reference" / "policy-targets-and-programs.md"
)
needs_shared = pytest.mark.skipif(
    not TARGETS_FILE.is_file(), reason="shared/reference is not present"
)
NOW = timezone.make_aware(dt.datetime(2026, 11, 20, 18))


def test_without_the_demo_administrator_nothing_is_configured() -> None:
    assert configure_demo_targets(NOW) == 0
    assert not Target.objects.exists()


def test_the_targets_are_configured_once_and_published() -> None:
    make_user(Role.MINISTRY_ADMIN, username=ADMINISTRATOR)
    assert configure_demo_targets(NOW) == 12
    assert Target.objects.count() == 12 and not Target.objects.filter(published=False).exists()
    events = AuditEvent.objects.count()
    assert configure_demo_targets(NOW) == 0
    assert Target.objects.count() == 12 and ExternalSeries.objects.count() == 3
    assert AuditEvent.objects.count() == events
    # The illustrative figures say so; the series without a published count has none.
    assert set(ExternalSeries.objects.filter(illustrative=True).values_list("code", flat=True)) == {
        "services-exports",
        "world-output-per-practitioner",
    }
    assert not ExternalSeries.objects.get(code="multinationals-transferring").values.exists()


@needs_shared
def test_every_target_of_the_reference_file_is_there() -> None:
    make_user(Role.MINISTRY_ADMIN, username=ADMINISTRATOR)
    configure_demo_targets(NOW)
    rows = re.findall(
        r"^\| (T-\d{4}-[A-Z0-9]+) \|[^|]*\| ([^|]*) \|", TARGETS_FILE.read_text(), re.M
    )
    assert len(rows) == 12
    configured = {t.code: t for t in Target.objects.all()}
    assert set(configured) == {code for code, _deadline in rows}
    for code, deadline in rows:
        year = re.search(r"\d{4}", deadline)
        assert year is not None
        # "5 years from 2006" is 2011; every other deadline is the year the file names.
        expected = int(year.group()) + (5 if "years from" in deadline else 0)
        assert configured[code].deadline == expected, code


def test_every_demo_target_is_evaluated() -> None:
    make_user(Role.MINISTRY_ADMIN, username=ADMINISTRATOR)
    configure_demo_targets(NOW)
    statuses = {
        t.code: evaluate(t, public=True, today=NOW.date()).status for t in Target.objects.all()
    }
    # Base and demonstration cities come from the reference data: 21 cities by 2010.
    assert statuses["T-2006-BASE"] == Status.ACHIEVED
    # No count of multinationals is published; no 2005 offshore figure either.
    assert statuses["T-2006-MNC"] == Status.NO_DATA
    assert statuses["T-2006-X4"] == Status.NO_DATA
    # Without filed records, the records' indicators have no figures (not zeros).
    assert statuses["T-2006-CMMI3"] == Status.NO_DATA
    assert statuses["T-2020-DIGITAL"] == Status.NO_DATA
