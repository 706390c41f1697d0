"""The demo's published releases: the last three ended months that the demo has filed, each
published as the ministry publishes its monthly figures, on the 20th of the next month at
9:30 (a release whose day has not come yet stays embargoed until then)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from soms.accounts.models import User
from soms.dissemination import services
from soms.dissemination.models import Release
from soms.filing.calendar import next_month

RELEASES = 3
STATISTICIAN = "ministry-stat"


def publication_time(month: dt.date) -> dt.datetime:
    day = next_month(month).replace(day=20)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 30)))


def publish_demo_releases(now: dt.datetime, months: int) -> int:
    """Prepare and publish the releases (through the services, as the demo statistician)."""
    statistician = User.objects.filter(username=STATISTICIAN).first()
    if statistician is None or months <= 0:
        return 0
    month = timezone.localdate(now).replace(day=1)
    published = 0
    for _n in range(min(RELEASES, months)):
        month = (month - dt.timedelta(days=1)).replace(day=1)
        if Release.objects.filter(period=month).exists():
            continue
        release = services.prepare_release(statistician, month)
        services.publish_release(statistician, release, publication_time(month))
        published += 1
    return published
