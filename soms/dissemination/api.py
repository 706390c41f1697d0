"""Releases through the API (``/api/v1/releases/``): the list, a release's frozen figures, its
SDMX-CSV data and the SDMX structure. Anonymous callers see public releases only; before its
publication time a release answers 404 to anyone but ministry officials."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Router, Schema

from soms.api import OptionalSession
from soms.dissemination.models import Release
from soms.dissemination.sdmx import data_csv, structure_message
from soms.dissemination.services import frozen_figures
from soms.dissemination.tables import as_rows

router = Router(tags=["releases"], auth=OptionalSession())


class ReleaseOut(Schema):
    month: str
    status: str
    publish_at: dt.datetime | None
    provisional: bool


def _out(release: Release) -> dict[str, Any]:
    return {
        "month": release.label,
        "status": release.status,
        "publish_at": release.publish_at,
        "provisional": release.provisional,
    }


def _published(request: HttpRequest, month: str) -> Release:
    try:
        period = dt.datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        raise Http404 from None
    release = (
        Release.objects.visible_to(request.user).filter(period=period, status="published").first()
    )
    if release is None:
        raise Http404
    return release


@router.get("/", response=list[ReleaseOut], summary="Published releases")
def releases(request: HttpRequest) -> list[dict[str, Any]]:
    visible = Release.objects.visible_to(request.user).filter(status="published")
    return [_out(r) for r in visible]


@router.get("/sdmx/structure", summary="SDMX-ML 2.1 structure message (DSD, codelists)")
def sdmx_structure(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        structure_message(), content_type="application/vnd.sdmx.structure+xml; version=2.1"
    )


@router.get("/{month}", response=dict[str, Any], summary="A release's frozen figures")
def release(request: HttpRequest, month: str) -> dict[str, Any]:
    """Every cell of the release's tables as published: money in yuan or dollars (2 decimals),
    ``flag`` "C" where disclosure control hides the value."""
    found = _published(request, month)
    rows = [
        {
            k: (str(v) if v is not None and k in ("value", "value_prev", "yoy_pct") else v)
            for k, v in row.items()
        }
        for row in as_rows(frozen_figures(found))
    ]
    return {**_out(found), "figures": rows}


@router.get("/{month}/sdmx", summary="A release's data as SDMX-CSV 1.0")
def release_sdmx(request: HttpRequest, month: str) -> HttpResponse:
    found = _published(request, month)
    return HttpResponse(
        data_csv(frozen_figures(found)),
        content_type="application/vnd.sdmx.data+csv; version=1.0.0; charset=utf-8",
    )
