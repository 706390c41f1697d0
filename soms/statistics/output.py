"""The JSON shape of a result, shared by the API and ``soms stats --format json``."""

from __future__ import annotations

from typing import Any

from soms.statistics.engine import Result
from soms.statistics.names import names_for


def as_json(result: Result, start: str, end: str) -> dict[str, Any]:
    query = result.query
    names = {dim: names_for(dim, {r.keys[dim] for r in result.rows}) for dim in query.by}
    rows = []
    for r in result.rows:
        row: dict[str, Any] = {}
        for dim in query.by:
            row[dim] = r.keys[dim]
            row[f"{dim}_name"] = names[dim].get(r.keys[dim], r.keys[dim])
        row.update(
            value=None if r.value is None else str(r.value),
            value_prev=None if r.value_prev is None else str(r.value_prev),
            yoy_pct=None if r.yoy_pct is None else str(r.yoy_pct),
            flag=r.flag,
        )
        rows.append(row)
    return {
        "measure": query.measure,
        "currency": query.currency,
        "from": start,
        "to": end,
        "provisional": result.provisional,
        "rows": rows,
    }
