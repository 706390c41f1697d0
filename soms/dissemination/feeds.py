"""An Atom feed of public releases, newest first."""

from __future__ import annotations

import datetime as dt

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.urls import reverse, reverse_lazy
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from soms.dissemination.models import Release
from soms.dissemination.pdf import period_text


class ReleaseFeed(Feed):
    feed_type = Atom1Feed
    title = _("SOMS: service outsourcing statistics releases")
    subtitle = _("Monthly releases of the service outsourcing statistics, with their bulletin.")
    link = reverse_lazy("dissemination:portal")

    def items(self) -> QuerySet[Release]:
        return Release.objects.public().order_by("-publish_at")[:24]

    def item_title(self, item: Release) -> str:
        return str(_("Service outsourcing statistics, %(period)s") % {"period": period_text(item)})

    def item_description(self, item: Release) -> str:
        return item.bulletin_zh.splitlines()[0] if item.bulletin_zh else ""

    def item_link(self, item: Release) -> str:
        return reverse("dissemination:release", args=[item.label])

    def item_pubdate(self, item: Release) -> dt.datetime | None:
        return item.publish_at

    def item_updateddate(self, item: Release) -> dt.datetime | None:
        return item.publish_at
