"""Deadlines and windows of statistics-rules.md ("Filing windows").

- A month's records are due by ``SOMS_DUE_DAY`` (default 5) of the next month; filing later is
  allowed inside the window but marked late. An extension moves the due date.
- The annual information form, dated 31 December of its year, is due on ``SOMS_ANNUAL_DUE``
  (month, day; default 15 January) of the following year. An extension of December moves it
  too, when the extension runs later.
- Late-filing window (default): until 31 March, records dated from 1 July of the previous year up
  to today; from 1 April, only those dated from 1 January of the current year. An extension also
  admits its month until its date. On-time status and locking are separate: a locked month is
  refused by the review app's rule whatever the window says.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from soms.filing.choices import Cycle
from soms.filing.models import Extension


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _day_in(month: dt.date, day: int) -> dt.date:
    # A configured day the month does not have (31 in April, 29 in February …) is its last day.
    last_day = (next_month(month) - dt.timedelta(days=1)).day
    return month.replace(day=min(day, last_day))


def due_date(period: dt.date, cycle: Cycle = Cycle.MONTHLY) -> dt.date:
    """When the records of a month (``period``, its first day) fall due; for the annual form
    (``cycle=Cycle.ANNUAL``, dated in December of its year) in the following year."""
    if cycle == Cycle.ANNUAL:
        month, day = getattr(settings, "SOMS_ANNUAL_DUE", (1, 15))
        return _day_in(dt.date(period.year + 1, month, 1), day)
    return _day_in(next_month(period), getattr(settings, "SOMS_DUE_DAY", 5))


@dataclass(frozen=True)
class Window:
    start: dt.date
    end: dt.date

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def filing_window(today: dt.date) -> Window:
    cutoff_month, cutoff_day = getattr(settings, "SOMS_WINDOW_CUTOFF", (3, 31))
    if (today.month, today.day) <= (cutoff_month, cutoff_day):
        start = dt.date(today.year - 1, 7, 1)
    else:
        start = dt.date(today.year, 1, 1)
    return Window(start, today)


def extension_for(enterprise_id: int, division_id: str, period: dt.date) -> Extension | None:
    """The most generous extension covering an enterprise's month, if any."""
    return (
        Extension.objects.filter(period=period)
        .filter(Q(enterprise_id=enterprise_id) | Q(division_id=division_id))
        .order_by("-until")
        .first()
    )


def effective_due_date(
    enterprise_id: int, division_id: str, period: dt.date, cycle: Cycle = Cycle.MONTHLY
) -> dt.date:
    extension = extension_for(enterprise_id, division_id, period)
    due = due_date(period, cycle)
    return max(due, extension.until) if extension else due


def admitted(day: dt.date, today: dt.date, enterprise_id: int, division_id: str) -> bool:
    """Whether a record dated ``day`` may be filed or approved on ``today``."""
    if day > today:
        return False
    if day in filing_window(today):
        return True
    extension = extension_for(enterprise_id, division_id, month_of(day))
    return extension is not None and today <= extension.until
