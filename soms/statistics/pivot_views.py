"""The pivot table page and its XLSX download (:mod:`soms.statistics.pivot`).

Officials get exact figures for their jurisdiction, anyone else the public figures; with
``public=1`` an official gets the public figures too (what would be published).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from soms.core.errors import ServiceError
from soms.statistics.access import PUBLIC, Access, access_for, scope_name
from soms.statistics.engine import DIMENSIONS, ENTERPRISE_DIMENSIONS, MEASURES
from soms.statistics.labels import DIMENSION_LABELS, FLOW_LABELS, MEASURE_LABELS
from soms.statistics.pivot import XLSX_TYPE, Pivot, build, form_values, parse, to_xlsx


def _access(request: HttpRequest) -> Access:
    if request.GET.get("public") == "1":
        return PUBLIC
    return access_for(request.user)


def _scope_note(request: HttpRequest, access: Access) -> str:
    if access.public:
        return _("Public figures for the whole country, with disclosure control.")
    name = scope_name(request.user, access)
    if name:
        return _("Exact figures for %(scope)s.") % {"scope": name}
    return _("Exact figures for the whole country.")


def _choices() -> dict[str, Any]:
    return {
        "measures": [(m, MEASURE_LABELS[m]) for m in MEASURES],
        "dimension_groups": [
            (
                _("Enterprise, place and time"),
                [(d, DIMENSION_LABELS[d]) for d in ENTERPRISE_DIMENSIONS],
            ),
            (
                _("Contract (contract and execution measures only)"),
                [(d, DIMENSION_LABELS[d]) for d in DIMENSIONS if d not in ENTERPRISE_DIMENSIONS],
            ),
        ],
        "flows": list(FLOW_LABELS.items()),
    }


def pivot(request: HttpRequest) -> HttpResponse:
    access = _access(request)
    values = form_values(request.GET)
    table: Pivot | None = None
    error = ""
    try:
        table = build(parse(request.GET), access)
    except ServiceError as refused:
        error = refused.text
    own = request.GET.copy()
    own.pop("public", None)
    public = request.GET.copy()
    public["public"] = "1"
    return render(
        request,
        "statistics/pivot.html",
        {
            "values": values,
            "table": table,
            "error": error,
            "public": access.public,
            "asked_public": request.GET.get("public") == "1",
            "official": not access_for(request.user).public,
            "scope_note": _scope_note(request, access),
            "query": request.GET.urlencode(),
            "own_query": own.urlencode(),
            "public_query": public.urlencode(),
            **_choices(),
        },
    )


def pivot_xlsx(request: HttpRequest) -> HttpResponse:
    access = _access(request)
    try:
        table = build(parse(request.GET), access)
    except ServiceError as refused:
        return HttpResponse(refused.text, status=400, content_type="text/plain; charset=utf-8")
    return HttpResponse(
        to_xlsx(table, _scope_note(request, access)),
        content_type=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{table.filename}"'},
    )
