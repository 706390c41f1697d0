"""The parameters `soms stats` and `GET /api/v1/stats/` share (exchange-format.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from soms.core.errors import ServiceError
from soms.statistics.engine import Query, parse_month


def build_query(
    *,
    measure: str,
    start: str,
    end: str,
    currency: str = "CNY",
    by: str | Iterable[str] | None = None,
    flow: str | None = None,
    where: Iterable[str] = (),
    separator: str = "=",
) -> Query:
    dims: list[str] = []
    for part in [by] if isinstance(by, str) else list(by or []):
        dims.extend(d.strip() for d in part.split(",") if d.strip())
    filters: dict[str, set[str]] = defaultdict(set)
    for clause in where:
        dim, sep, value = clause.partition(separator)
        if not sep or not dim.strip() or not value.strip():
            raise ServiceError(
                _("A filter is written DIMENSION%(sep)sVALUE, not “%(value)s”."),
                code="invalid_filter",
                field="where",
                params={"sep": separator, "value": clause},
            )
        filters[dim.strip()].add(value.strip())
    query = Query(
        measure=measure,
        start=parse_month(start, "from"),
        end=parse_month(end, "to"),
        currency=(currency or "CNY").upper(),
        by=tuple(dims),
        flow=flow or None,
        where=dict(filters),
    )
    query.check()
    return query


def money(value: Any) -> str | None:
    return None if value is None else str(value)
