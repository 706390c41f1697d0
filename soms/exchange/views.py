"""Downloads of the list pages, in the exchange formats (the files ``soms import`` takes)."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from soms.core.errors import ServiceError
from soms.exchange.exports import EXPORTS, write

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@login_required
def export(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    """The records the caller may see, filtered as the list page is (month, status)."""
    if kind not in EXPORTS or fmt not in CONTENT_TYPES:
        raise Http404
    where = {f: v for f in ("month", "status") if (v := request.GET.get(f, "").strip())}
    target = io.BytesIO()
    try:
        write(kind, target, actor=request.user, where=where, fmt=fmt)  # type: ignore[arg-type]
    except ServiceError as error:
        return HttpResponse(error.text, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(target.getvalue(), content_type=CONTENT_TYPES[fmt])
    name = f"soms-{kind}-{timezone.localdate():%Y%m%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
