"""``soms send_deadline_notices [--month YYYY-MM]``: remind the enterprises that have not filed a
month's workforce report of its due date (in-app message and e-mail)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from soms.accounts.models import User
from soms.filing.calendar import due_date, effective_due_date
from soms.filing.models import Extension
from soms.review.choices import Level
from soms.review.completeness import missing_enterprises
from soms.review.forms import parse_month
from soms.review.hierarchy import Unit
from soms.review.services import notify

SUBJECT = _("Deadline: report for %(month)s due on %(due)s")
UPCOMING = _(
    "Your enterprise's report for %(month)s is due on %(due)s and has not been filed yet. "
    "File it in SOMS before the due date."
)
PASSED = _(
    "Your enterprise's report for %(month)s was due on %(due)s and has not been filed yet. "
    "File it in SOMS now; it will be marked as late."
)


def previous_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


class Command(BaseCommand):
    help = (
        "Send a deadline notice (in-app message and e-mail) to every active user of each "
        "registered enterprise that has not filed the month's workforce report."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--month",
            help="the month reported on, YYYY-MM (default: the previous month, due this month)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        if options.get("month"):
            period = parse_month(options["month"])
            if period is None:
                raise CommandError("--month is YYYY-MM, e.g. 2026-03.")
        else:
            period = previous_month(today)
        missing = list(
            missing_enterprises(period, Unit(Level.NATION, None)).values_list("pk", "division_id")
        )
        # An extension moves an enterprise's due date; most enterprises have none.
        extended = Extension.objects.filter(period=period)
        extended_enterprises = set(extended.values_list("enterprise_id", flat=True))
        extended_districts = set(extended.values_list("division_id", flat=True))
        by_due: dict[dt.date, list[int]] = defaultdict(list)
        for pk, division_id in missing:
            if pk in extended_enterprises or division_id in extended_districts:
                by_due[effective_due_date(pk, division_id, period)].append(pk)
            else:
                by_due[due_date(period)].append(pk)
        sent = 0
        for due, enterprises in sorted(by_due.items()):
            sent += notify(
                User.objects.filter(Q(enterprise_id__in=enterprises), is_active=True).order_by(
                    "pk"
                ),
                kind="deadline",
                subject=SUBJECT,
                body=UPCOMING if due >= today else PASSED,
                params={"month": f"{period:%Y-%m}", "due": due.isoformat()},
            )
        self.stdout.write(
            f"{sent} deadline notices sent for {period:%Y-%m} "
            f"({len(missing)} enterprises have not filed)."
        )
