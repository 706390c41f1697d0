"""Changing targets and external series: each change one transaction with its audit event.

Only the ministry administrator configures targets, publishes them and uploads external
series. An uploaded file is checked whole before anything is written: a file with any bad row
writes nothing, and the refusal names each bad row, its column and the rule.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from soms.accounts.choices import Role
from soms.audit.services import record, snapshot
from soms.core.errors import NotPermitted, ServiceError
from soms.core.tabular import (
    CellError,
    Column,
    FileError,
    RowError,
    parse_decimal,
    parse_text,
    read_rows,
)
from soms.policy.choices import SeriesUnit
from soms.policy.indicators import INDICATORS
from soms.policy.models import ExternalSeries, ExternalValue, Target

TARGET_FIELDS = [
    "code",
    "title_zh",
    "title_en",
    "document_title",
    "document_number",
    "document_file",
    "indicator",
    "companion_indicator",
    "comparison",
    "target_value",
    "direction",
    "baseline_year",
    "baseline_value",
    "baseline_source",
    "accumulate_from",
    "deadline",
    "scope_level",
    "division",
    "series",
    "benchmark",
    "threshold",
    "published",
    "note",
]
SERIES_FIELDS = [
    "code",
    "name_zh",
    "name_en",
    "unit",
    "source",
    "source_url",
    "illustrative",
    "note",
]
SERIES_COLUMNS = [
    Column("year", "年份", required=False),
    Column("period", "期间", required=False),
    Column("value", "数值"),
]
YEAR = re.compile(r"^(\d{4})$")
YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR, LAST_YEAR = 1949, 2100


def _check_admin(actor: Any, what: Any) -> None:
    if getattr(actor, "role", None) != Role.MINISTRY_ADMIN:
        raise NotPermitted(what, code="not_permitted")


def _refusal(error: ValidationError) -> ServiceError:
    """A model's validation error as a service refusal naming its first field."""
    field = None
    errors = error.error_list if not hasattr(error, "error_dict") else []
    if hasattr(error, "error_dict"):
        name, errors = next(iter(error.error_dict.items()))
        field = None if name == "__all__" else name
    first = errors[0] if errors else error
    # The message as declared (lazy, with its parameters), so the refusal speaks both languages.
    message = getattr(first, "message", None) or str(error)
    params = getattr(first, "params", None)
    return ServiceError(
        message,
        code=getattr(first, "code", None) or "invalid",
        field=field,
        params=params if isinstance(params, dict) else None,
    )


# --- targets -------------------------------------------------------------------------------------


def _check_indicators(target: Target) -> None:
    indicator = INDICATORS.get(target.indicator)
    if indicator is None:
        raise ServiceError(
            _("“%(value)s” is not an indicator (%(allowed)s)."),
            code="unknown_indicator",
            field="indicator",
            params={"value": target.indicator, "allowed": ", ".join(INDICATORS)},
        )
    if target.companion_indicator and target.companion_indicator not in INDICATORS:
        raise ServiceError(
            _("“%(value)s” is not an indicator (%(allowed)s)."),
            code="unknown_indicator",
            field="companion_indicator",
            params={"value": target.companion_indicator, "allowed": ", ".join(INDICATORS)},
        )
    if indicator.series_units:
        if target.series is None:
            raise ServiceError(
                _("This indicator reads an external series: choose one."),
                code="series_required",
                field="series",
            )
        if target.series.unit not in indicator.series_units:
            raise ServiceError(
                _("The series is in %(unit)s; this indicator needs one in %(allowed)s."),
                code="series_unit",
                field="series",
                params={
                    "unit": target.series.unit,
                    "allowed": ", ".join(sorted(indicator.series_units)),
                },
            )
    elif target.series is not None:
        raise ServiceError(
            _("This indicator reads no external series."), code="series_unused", field="series"
        )
    if target.benchmark is not None and target.benchmark.unit != indicator.benchmark_unit:
        raise ServiceError(
            _("A benchmark must be in the indicator's unit (%(unit)s)."),
            code="benchmark_unit",
            field="benchmark",
            params={"unit": indicator.benchmark_unit or "—"},
        )
    if indicator.needs_threshold and target.threshold is None:
        raise ServiceError(
            _("This indicator needs a threshold."), code="threshold_required", field="threshold"
        )


@transaction.atomic
def save_target(
    actor: Any, data: dict[str, Any], target: Target | None = None, *, at: dt.datetime | None = None
) -> Target:
    """Create a target from ``data`` (field: value, foreign keys as objects), or change
    ``target``; refused with the rule broken, nothing written. ``at``: when (default now)."""
    _check_admin(actor, _("Only the ministry administrator configures policy targets."))
    creating = target is None
    if target is not None:
        target = Target.objects.select_for_update().get(pk=target.pk)
        before = snapshot(target, TARGET_FIELDS)
    else:
        target = Target()
        before = None
    for name, value in data.items():
        if name not in TARGET_FIELDS:
            raise ServiceError(
                _("“%(value)s” is not a field of a target."),
                code="unknown_field",
                params={"value": name},
            )
        setattr(target, name, value)
    _check_indicators(target)
    target.updated_at = at or timezone.now()
    if creating:
        target.created_at = target.updated_at
    try:
        target.full_clean()
    except ValidationError as error:
        raise _refusal(error) from None
    target.save()
    record(
        "policy.target.created" if creating else "policy.target.changed",
        actor=actor,
        obj=target,
        before=before,
        after=snapshot(target, TARGET_FIELDS),
    )
    return target


@transaction.atomic
def set_published(actor: Any, target: Target, published: bool) -> Target:
    """Show the target to the public, or take it back."""
    _check_admin(actor, _("Only the ministry administrator publishes policy targets."))
    target = Target.objects.select_for_update().get(pk=target.pk)
    if target.published == published:
        return target
    target.published = published
    target.updated_at = timezone.now()
    target.save(update_fields=["published", "updated_at"])
    record(
        "policy.target.published" if published else "policy.target.withdrawn",
        actor=actor,
        obj=target,
        before={"published": not published},
        after={"published": published},
    )
    return target


# --- external series -------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One parsed figure of an upload: its period as written (``2024`` or ``2024-12``)."""

    period: str
    year: int
    month: int | None
    value: Decimal


class UploadRefused(ServiceError):
    """An upload with bad rows: ``rows`` names each (row, column, value, rule)."""

    def __init__(self, rows: list[RowError]) -> None:
        self.rows = rows
        super().__init__(
            _("%(count)s rows of the file are wrong: nothing was written."),
            code="bad_rows",
            field="file",
            params={"count": len(rows)},
        )


def parse_period(text: str) -> tuple[int, int | None]:
    """``2024`` (a year) or ``2024-12`` (a month's end) → (year, month)."""
    text = text.strip()
    match = YEAR.match(text)
    month: int | None = None
    if match is None:
        match = YEAR_MONTH.match(text)
        if match is None:
            raise CellError(
                _("“%(value)s” is not a year (YYYY) or a month (YYYY-MM)."), {"value": text}
            )
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise CellError(_("“%(value)s” is not a month (YYYY-MM)."), {"value": text})
    year = int(match.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CellError(
            _("The year %(value)s is outside %(first)s–%(last)s."),
            {"value": year, "first": FIRST_YEAR, "last": LAST_YEAR},
        )
    return year, month


def parse_figures(path: Path | str, unit: str) -> list[Figure]:
    """The figures of a CSV or XLSX file with columns ``year`` (or ``period``) and ``value``;
    refused whole (:class:`UploadRefused`) if any row is wrong."""
    figures: list[Figure] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    try:
        for row in read_rows(path, SERIES_COLUMNS):
            if ("year" in row.values) == ("period" in row.values):
                raise ServiceError(
                    _("The file has a column year or a column period (one of them), and value."),
                    code="bad_file",
                    field="file",
                )
            column = "year" if "year" in row.values else "period"
            raw = row.values.get(column, "")
            raw = str(int(raw)) if isinstance(raw, int | float) and column == "year" else raw
            try:
                period = parse_text(raw)
                if not period:
                    raise CellError(_("A year or a period is required."))
                year, month = parse_period(period)
                if column == "year" and month is not None:
                    raise CellError(_("“%(value)s” is not a year (YYYY)."), {"value": period})
                if period in seen:
                    raise CellError(
                        _("This period is given already in row %(row)s."), {"row": seen[period]}
                    )
                seen[period] = row.number
            except CellError as error:
                errors.append(RowError(row.number, column, str(raw), str(error)))
                continue
            try:
                value = parse_decimal(row.values.get("value", ""))
                if value < 0 and unit != SeriesUnit.PERCENT:
                    raise CellError(_("A figure in this unit cannot be negative."))
                if abs(value) >= Decimal(10) ** 18:
                    raise CellError(_("“%(value)s” is too large."), {"value": value})
            except CellError as error:
                errors.append(
                    RowError(row.number, "value", str(row.values.get("value", "")), str(error))
                )
                continue
            figures.append(Figure(period, year, month, value))
    except FileError as error:
        raise ServiceError(error.text, code="bad_file", field="file") from None
    if errors:
        raise UploadRefused(errors)
    if not figures:
        raise ServiceError(_("The file has no figures."), code="empty_file", field="file")
    return figures


def _digest(figures: list[Figure]) -> str:
    text = "\n".join(f"{f.period},{f.value}" for f in sorted(figures, key=lambda f: f.period))
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def save_series(
    actor: Any, data: dict[str, Any], figures: list[Figure], *, at: dt.datetime | None = None
) -> ExternalSeries:
    """Create the series ``data["code"]`` names, or replace its description and all its
    figures (a series is uploaded whole, as its source publishes it)."""
    _check_admin(actor, _("Only the ministry administrator uploads external series."))
    unknown = set(data) - set(SERIES_FIELDS)
    if unknown:
        raise ServiceError(
            _("“%(value)s” is not a field of a series."),
            code="unknown_field",
            params={"value": ", ".join(sorted(unknown))},
        )
    series = ExternalSeries.objects.select_for_update().filter(code=data.get("code", "")).first()
    creating = series is None
    before = None
    if series is not None:
        before = {
            **snapshot(series, SERIES_FIELDS),
            "figures": series.values.count(),
            "digest": _digest(
                [Figure(v.period, v.year, v.month, v.value) for v in series.values.all()]
            ),
        }
        in_use = series.targets.exists() or series.benchmarked_targets.exists()
        if in_use and data.get("unit", series.unit) != series.unit:
            raise ServiceError(
                _("Targets are measured by this series: its unit cannot change."),
                code="unit_in_use",
                field="unit",
            )
    else:
        series = ExternalSeries()
    for name, value in data.items():
        setattr(series, name, value)
    series.uploaded_by = actor
    series.uploaded_at = at or timezone.now()
    try:
        series.full_clean()
    except ValidationError as error:
        raise _refusal(error) from None
    series.save()
    series.values.all().delete()
    ExternalValue.objects.bulk_create(
        ExternalValue(series=series, period=f.period, year=f.year, month=f.month, value=f.value)
        for f in figures
    )
    record(
        "policy.series.uploaded" if creating else "policy.series.replaced",
        actor=actor,
        obj=series,
        before=before,
        after={
            **snapshot(series, SERIES_FIELDS),
            "figures": len(figures),
            "digest": _digest(figures),
        },
    )
    return series


def upload_series(actor: Any, data: dict[str, Any], upload: Any) -> ExternalSeries:
    """A series from an uploaded file (``year,value`` or ``period,value``), all or nothing."""
    _check_admin(actor, _("Only the ministry administrator uploads external series."))
    suffix = Path(getattr(upload, "name", "") or "upload.csv").suffix or ".csv"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"series{suffix}"
        with path.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        figures = parse_figures(path, data.get("unit", ""))
    return save_series(actor, data, figures)


def row_texts(error: ServiceError) -> list[str]:
    """The refused rows of an upload as lines to show, in the active language (the rule
    itself in both); empty for any other refusal."""
    if not isinstance(error, UploadRefused):
        return []
    return [
        gettext("Row %(row)s, column %(column)s (“%(value)s”): %(rule)s")
        % {"row": e.row, "column": e.column, "value": e.value, "rule": e.message}
        for e in error.rows
    ]
