"""Completeness and timeliness of a month's reporting, per jurisdiction.

An enterprise *reports* for a month by filing its workforce report (every registered enterprise
files one each month; contracts and executions only when it has any). Expected reporters are the
enterprises registered at the month's end; a report *filed* is one submitted at least once
(awaiting review, approved or returned); it is *late* when submitted after the due date, with
any extension.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from soms.accounts.models import User
from soms.audit.services import record as audit
from soms.filing.choices import RecordStatus
from soms.filing.models import WorkforceReport
from soms.registry.models import Enterprise
from soms.review import hierarchy
from soms.review.hierarchy import Unit
from soms.review.services import notify

FILED = [RecordStatus.SUBMITTED, RecordStatus.APPROVED, RecordStatus.RETURNED]


@dataclass(frozen=True)
class Completeness:
    unit: Unit
    expected: int
    filed: int
    on_time: int
    late: int

    @property
    def missing(self) -> int:
        return self.expected - self.filed

    @property
    def filed_pct(self) -> float | None:
        return round(100 * self.filed / self.expected, 1) if self.expected else None


def completeness(period: dt.date, unit: Unit) -> Completeness:
    expected = hierarchy.expected_reporters(period, unit)
    reports = WorkforceReport.objects.filter(
        corrects__isnull=True, month=period, status__in=FILED, enterprise__in=expected
    )
    filed = reports.count()
    late = reports.filter(is_late=True).count()
    return Completeness(unit, expected.count(), filed, filed - late, late)


def missing_enterprises(period: dt.date, unit: Unit) -> QuerySet[Enterprise]:
    filed = WorkforceReport.objects.filter(
        corrects__isnull=True, month=period, status__in=FILED
    ).values("enterprise_id")
    return hierarchy.expected_reporters(period, unit).exclude(pk__in=filed)


def breakdown(period: dt.date, unit: Unit) -> list[Completeness]:
    return [completeness(period, child) for child in hierarchy.children(period, unit)]


def send_reminders(*, actor: User, period: dt.date, unit: Unit) -> int:
    """Remind every active user of each missing enterprise (in-app and by e-mail)."""
    from django.db import transaction

    from soms.accounts.models import User as UserModel

    with transaction.atomic():
        missing = list(missing_enterprises(period, unit))
        sent = notify(
            UserModel.objects.filter(enterprise__in=missing, is_active=True),
            kind="reminder",
            subject=_("Reminder: report for %(month)s"),
            body=_(
                "Your enterprise's report for %(month)s has not been filed yet. File it in "
                "SOMS as soon as possible."
            ),
            params={"month": f"{period:%Y-%m}"},
        )
        for enterprise in missing:
            audit(
                "review.reminder.sent",
                actor=actor,
                obj=enterprise,
                after={"month": f"{period:%Y-%m}"},
            )
    return sent
