"""Releases: the figures of one month (the month and the year to date) as published.

A release is prepared as a draft, whose figures are the current ones; publishing it freezes its
figures (:class:`ReleaseFigure`, disclosure control applied, since a release is public) and sets
its publication time. Before that time it is embargoed: only ministry officials see it. Later
approvals, returns and corrections change current figures, never a release's; the difference is
shown as a revision.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from soms.accounts.choices import MINISTRY_ROLES
from soms.dissemination.choices import ReleaseStatus


class ReleaseQuerySet(models.QuerySet["Release"]):
    def public(self) -> ReleaseQuerySet:
        """Published, and past the publication time."""
        return self.filter(status=ReleaseStatus.PUBLISHED, publish_at__lte=timezone.now())

    def visible_to(self, user: Any) -> ReleaseQuerySet:
        """Ministry officials see drafts and embargoed releases; everyone else public ones."""
        if getattr(user, "is_authenticated", False) and user.role in MINISTRY_ROLES:
            return self.all()
        return self.public()


class Release(models.Model):
    period = models.DateField(_("month"), unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ReleaseStatus.choices, default=ReleaseStatus.DRAFT
    )
    publish_at = models.DateTimeField(_("publication time"), null=True, blank=True)
    bulletin_zh = models.TextField(_("bulletin (Chinese)"), blank=True)
    bulletin_en = models.TextField(_("bulletin (English)"), blank=True)
    provisional = models.BooleanField(
        _("provisional"),
        default=True,
        help_text=_("Whether the figures were provisional when they were frozen."),
    )
    # The figures the bulletin was drafted from: publishing refuses if they have changed.
    figures_digest = models.CharField(max_length=64, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField(_("prepared at"), default=timezone.now)
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        ordering = ["-period"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=ReleaseStatus.DRAFT)
                | Q(publish_at__isnull=False, frozen_at__isnull=False),
                name="release_published_is_frozen",
                violation_error_message=_("A published release has its publication time."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m}"

    @property
    def label(self) -> str:
        return f"{self.period:%Y-%m}"

    @property
    def is_published(self) -> bool:
        return self.status == ReleaseStatus.PUBLISHED

    @property
    def is_public(self) -> bool:
        return (
            self.is_published and self.publish_at is not None and self.publish_at <= timezone.now()
        )


class ReleaseFigure(models.Model):
    """One frozen cell: a table's series (a measure in a currency, over the month or the year
    to date) for one row of the table ("" is the table's total row)."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="figures")
    table = models.CharField(max_length=32)
    series = models.CharField(max_length=48)
    key = models.CharField(max_length=32, blank=True)
    value = models.DecimalField(max_digits=24, decimal_places=2, null=True)
    value_prev = models.DecimalField(max_digits=24, decimal_places=2, null=True)
    yoy_pct = models.DecimalField(max_digits=12, decimal_places=1, null=True)
    flag = models.CharField(max_length=1, blank=True)

    class Meta:
        verbose_name = _("release figure")
        verbose_name_plural = _("release figures")
        constraints = [
            models.UniqueConstraint(
                fields=["release", "table", "series", "key"], name="release_figure_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.release} {self.table} {self.series} {self.key or 'total'}"
