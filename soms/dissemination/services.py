"""Preparing, editing and publishing releases; each change one transaction with its event.

The bulletin is drafted from figures; publishing refuses when the figures have changed since the
draft (``figures_digest``), so a published bulletin never states a number its tables do not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from soms.accounts.choices import Role
from soms.audit.services import record, snapshot
from soms.core.errors import ConflictError, NotPermitted, ServiceError
from soms.dissemination.bulletin import draft_bulletin
from soms.dissemination.choices import ReleaseStatus
from soms.dissemination.models import Release, ReleaseFigure
from soms.dissemination.tables import Cell, Figures, Series, Shown, compute_figures, sheets, show

RELEASE_FIELDS = ["period", "status", "publish_at", "bulletin_zh", "bulletin_en", "provisional"]


def _check_statistician(actor: Any) -> None:
    if getattr(actor, "role", None) != Role.MINISTRY_STATISTICIAN:
        raise NotPermitted(
            _("Only a ministry statistician prepares and publishes releases."),
            code="not_permitted",
        )


def _check_draft(release: Release) -> None:
    if release.status != ReleaseStatus.DRAFT:
        raise ConflictError(
            _("This release is published: its figures and bulletin are frozen."),
            code="release_published",
        )


def digest(figures: Figures) -> str:
    """A fingerprint of the figures, to tell whether they changed since the bulletin's draft."""
    plain = sorted(
        (*key, str(c.value), str(c.value_prev), str(c.yoy_pct), c.flag)
        for key, c in figures.cells.items()
    )
    return hashlib.sha256(json.dumps(plain).encode()).hexdigest()


def current_figures(month: dt.date) -> Figures:
    """What a release of ``month`` would publish now (disclosure control applied)."""
    return compute_figures(month, public=True)


def frozen_figures(release: Release) -> Figures:
    cells = {
        (f.table, f.series, f.key): Cell(f.value, f.value_prev, f.yoy_pct, f.flag)
        for f in release.figures.all()
    }
    return Figures(release.period, cells, release.provisional)


def release_figures(release: Release) -> Figures:
    """A published release's frozen figures; a draft's current ones."""
    return frozen_figures(release) if release.is_published else current_figures(release.period)


@transaction.atomic
def prepare_release(actor: Any, month: dt.date) -> Release:
    """A draft release of ``month`` with its bulletin drafted from the current figures."""
    _check_statistician(actor)
    month = month.replace(day=1)
    if month >= timezone.localdate().replace(day=1):
        raise ServiceError(
            _("A release covers a month that has ended."), code="month_not_ended", field="month"
        )
    if Release.objects.filter(period=month).exists():
        raise ConflictError(
            _("There is already a release for %(month)s."),
            code="release_exists",
            field="month",
            params={"month": f"{month:%Y-%m}"},
        )
    figures = current_figures(month)
    zh, en = draft_bulletin(figures)
    release = Release.objects.create(
        period=month,
        bulletin_zh=zh,
        bulletin_en=en,
        provisional=figures.provisional,
        prepared_by=actor,
        figures_digest=digest(figures),
    )
    record(
        "dissemination.release.prepared",
        actor=actor,
        obj=release,
        after=snapshot(release, RELEASE_FIELDS),
    )
    return release


def _locked(release: Release) -> Release:
    return Release.objects.select_for_update().get(pk=release.pk)


@transaction.atomic
def redraft_bulletin(actor: Any, release: Release) -> Release:
    """The bulletin drafted again from the current figures (edits are replaced)."""
    _check_statistician(actor)
    release = _locked(release)
    _check_draft(release)
    before = snapshot(release, RELEASE_FIELDS)
    figures = current_figures(release.period)
    release.bulletin_zh, release.bulletin_en = draft_bulletin(figures)
    release.provisional = figures.provisional
    release.figures_digest = digest(figures)
    release.save()
    record(
        "dissemination.release.redrafted",
        actor=actor,
        obj=release,
        before=before,
        after=snapshot(release, RELEASE_FIELDS),
    )
    return release


@transaction.atomic
def edit_bulletin(actor: Any, release: Release, zh: str, en: str) -> Release:
    _check_statistician(actor)
    release = _locked(release)
    _check_draft(release)
    for field, text in (("bulletin_zh", zh), ("bulletin_en", en)):
        if not text.strip():
            raise ServiceError(_("The bulletin needs its text."), code="required", field=field)
    before = snapshot(release, RELEASE_FIELDS)
    release.bulletin_zh, release.bulletin_en = zh.strip(), en.strip()
    release.save()
    record(
        "dissemination.release.edited",
        actor=actor,
        obj=release,
        before=before,
        after=snapshot(release, RELEASE_FIELDS),
    )
    return release


@transaction.atomic
def publish_release(actor: Any, release: Release, publish_at: dt.datetime | None = None) -> Release:
    """Freeze the release's figures and set its publication time (now by default; a later time
    embargoes it until then)."""
    _check_statistician(actor)
    release = _locked(release)
    _check_draft(release)
    figures = current_figures(release.period)
    if digest(figures) != release.figures_digest:
        raise ConflictError(
            _(
                "The figures have changed since the bulletin was drafted: draft it again "
                "(and redo your edits) before publishing."
            ),
            code="figures_changed",
        )
    now = timezone.now()
    before = snapshot(release, RELEASE_FIELDS)
    ReleaseFigure.objects.bulk_create(
        ReleaseFigure(
            release=release,
            table=table,
            series=series,
            key=key,
            value=cell.value,
            value_prev=cell.value_prev,
            yoy_pct=cell.yoy_pct,
            flag=cell.flag,
        )
        for (table, series, key), cell in figures.cells.items()
    )
    release.status = ReleaseStatus.PUBLISHED
    release.publish_at = publish_at or now
    release.frozen_at = now
    release.published_by = actor
    release.provisional = figures.provisional
    release.save()
    record(
        "dissemination.release.published",
        actor=actor,
        obj=release,
        before=before,
        after={**snapshot(release, RELEASE_FIELDS), "figures": len(figures.cells)},
        reason=f"sha256:{release.figures_digest}",
    )
    return release


@dataclass
class Revision:
    """One cell as published and as it is now, in the table's unit."""

    series: Series
    published: Cell | None
    current: Cell | None

    def _value(self, cell: Cell | None) -> Decimal | None:
        return None if cell is None or cell.flag else self.series.shown(cell.value)

    @property
    def difference(self) -> Decimal | None:
        published, current = self._value(self.published), self._value(self.current)
        if published is None or current is None:
            return None
        return current - published

    @property
    def changed(self) -> bool:
        def state(cell: Cell | None) -> tuple[Decimal | None, str]:
            return (None, "") if cell is None else (cell.value, cell.flag)

        return state(self.published) != state(self.current)

    @property
    def published_text(self) -> str:
        return _text(show(self.series, self.published))

    @property
    def current_text(self) -> str:
        return _text(show(self.series, self.current))

    @property
    def difference_text(self) -> str:
        difference = self.difference
        if difference is None:
            return ""
        return f"{difference:+,.2f}" if self.series.money else f"{difference:+,}"


def _text(shown: Shown) -> str:
    return "C" if shown.flag else shown.text


def revisions(release: Release) -> list[dict[str, Any]]:
    """Per table, each row's published and current figures with the difference."""
    published = frozen_figures(release)
    current = current_figures(release.period)
    out = []
    for sheet in sheets(Figures(release.period, {**current.cells, **published.cells}, False)):
        table = sheet.table.code
        lines: list[dict[str, Any]] = []
        changed = 0
        for line in [*sheet.lines, sheet.total]:
            pairs = [
                Revision(
                    s,
                    published.get(table, s.code, line.key),
                    current.get(table, s.code, line.key),
                )
                for s in sheet.series
            ]
            lines.append({"key": line.key, "name": line.name, "pairs": pairs})
            changed += sum(1 for pair in pairs if pair.changed)
        out.append({"sheet": sheet, "lines": lines, "changed": changed})
    return out
