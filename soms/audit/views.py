from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from soms.accounts.choices import Role
from soms.audit.models import AuditEvent
from soms.audit.services import verify_chain


@login_required
def log(request: HttpRequest) -> HttpResponse:
    """The whole trail, for the ministry administrator (others see timelines on objects)."""
    if request.user.role != Role.MINISTRY_ADMIN:  # type: ignore[union-attr]
        raise Http404
    events = AuditEvent.objects.all()
    if action := request.GET.get("action"):
        events = events.filter(action__startswith=action)
    if actor := request.GET.get("actor"):
        events = events.filter(actor_name=actor)
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    report = verify_chain() if request.GET.get("verify") else None
    return render(request, "audit/log.html", {"page": page, "report": report})
