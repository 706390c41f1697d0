from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from soms.api import OptionalSession
from soms.statistics.access import access_for
from soms.statistics.engine import compute
from soms.statistics.output import as_json
from soms.statistics.queryparams import build_query

router = Router(tags=["statistics"], auth=OptionalSession())


class StatsParams(Schema):
    measure: str = Field(description="contract_value, execution_value, employees …")
    currency: str = Field("CNY", description="CNY or USD")
    start: str = Field(alias="from", description="first month, YYYY-MM")
    to: str = Field(description="last month, YYYY-MM (included)")
    by: str = Field("", description="dimensions, comma-separated")
    flow: str | None = Field(None, description="offshore or onshore")
    where: list[str] = Field([], description="repeated DIM:VALUE filters")


@router.get("/", response=dict[str, Any], summary="Statistics (statistics-rules.md)")
def stats(request: HttpRequest, params: Query[StatsParams]) -> dict[str, Any]:
    """The figures of a measure for a range of months, broken down by dimensions. Officials get
    exact figures for their jurisdiction; anonymous callers disclosure-controlled figures
    (flag ``C``). Money values are decimal strings with 2 decimals."""
    query = build_query(
        measure=params.measure,
        start=params.start,
        end=params.to,
        currency=params.currency,
        by=params.by,
        flow=params.flow,
        where=params.where,
        separator=":",
    )
    access = access_for(request.user)
    return as_json(compute(query, access.scope, public=access.public), params.start, params.to)
