"""Policy targets for everyone (the published ones; the ministry sees all) and their
configuration and external series for the ministry administrator.

Every page gets its targets through ``Target.objects.restrict``: a target the caller may not
see answers 404. The ministry gets exact figures; anyone else the public, disclosure-controlled
ones.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from soms.accounts.choices import MINISTRY_ROLES, Role
from soms.core.errors import ServiceError
from soms.core.forms import add_service_error
from soms.policy import services
from soms.policy.forms import PublishForm, SeriesUploadForm, TargetForm
from soms.policy.indicators import INDICATORS
from soms.policy.models import ExternalSeries, Target
from soms.policy.progress import evaluate


def _ministry(request: HttpRequest) -> bool:
    return getattr(request.user, "role", None) in MINISTRY_ROLES


def _admin(request: HttpRequest) -> bool:
    return getattr(request.user, "role", None) == Role.MINISTRY_ADMIN


def _targets(request: HttpRequest, action: str = "view") -> Any:
    return Target.objects.restrict(request.user, action).select_related(  # type: ignore[arg-type]
        "division", "series", "benchmark"
    )


def _target(request: HttpRequest, code: str, action: str = "view") -> Target:
    target = _targets(request, action).filter(code=code).first()
    if target is None:
        raise Http404
    return target


def overview(request: HttpRequest) -> HttpResponse:
    public = not _ministry(request)
    today = timezone.localdate()
    rows = [evaluate(t, public=public, today=today) for t in _targets(request)]
    return render(
        request,
        "policy/overview.html",
        {"rows": rows, "public": public, "admin": _admin(request), "today": today},
    )


def target_page(request: HttpRequest, code: str) -> HttpResponse:
    target = _target(request, code)
    public = not _ministry(request)
    progress = evaluate(target, public=public)
    charts = {"main": progress.chart()}
    if progress.companion is not None:
        charts["companion"] = progress.companion.chart()
    return render(
        request,
        "policy/target.html",
        {
            "target": target,
            "progress": progress,
            "indicator": progress.indicator,
            "companion_indicator": INDICATORS.get(target.companion_indicator),
            "charts": charts,
            "public": public,
            "admin": _admin(request),
        },
    )


@login_required
@require_POST
def publish(request: HttpRequest, code: str) -> HttpResponse:
    target = _target(request, code, "change")
    form = PublishForm(request.POST)
    form.is_valid()
    published = bool(form.cleaned_data.get("published"))
    try:
        services.set_published(request.user, target, published)
    except ServiceError as refused:
        messages.error(request, refused.text)
    else:
        messages.success(
            request,
            _("The target is published.") if published else _("The target is withdrawn."),
        )
    return redirect("policy:target", code=target.code)


def _edit(request: HttpRequest, target: Target | None) -> HttpResponse:
    if request.method == "POST":
        form = TargetForm(request.POST)
        if form.is_valid():
            try:
                saved = services.save_target(request.user, form.data_for_service(), target)
            except ServiceError as refused:
                add_service_error(form, refused)
            else:
                messages.success(request, _("The target is saved."))
                return redirect("policy:target", code=saved.code)
    else:
        form = TargetForm(initial=TargetForm.initial_of(target) if target else None)
    return render(request, "policy/target_form.html", {"form": form, "target": target})


@login_required
def target_new(request: HttpRequest) -> HttpResponse:
    if not _admin(request):
        raise Http404
    return _edit(request, None)


@login_required
def target_edit(request: HttpRequest, code: str) -> HttpResponse:
    return _edit(request, _target(request, code, "change"))


@login_required
def series_list(request: HttpRequest) -> HttpResponse:
    series = ExternalSeries.objects.restrict(request.user, "view")  # type: ignore[arg-type]
    if not _ministry(request):
        raise Http404
    form = (
        SeriesUploadForm(request.POST or None, request.FILES or None) if _admin(request) else None
    )
    rows: list[str] = []
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                saved = services.upload_series(
                    request.user, form.series_data(), form.cleaned_data["file"]
                )
            except ServiceError as refused:
                add_service_error(form, refused)
                rows = services.row_texts(refused)
            else:
                messages.success(
                    request,
                    _("The series %(code)s is saved with %(count)s figures.")
                    % {"code": saved.code, "count": saved.values.count()},
                )
                return redirect("policy:series_detail", code=saved.code)
    return render(
        request,
        "policy/series.html",
        {
            "series": series.prefetch_related("values").select_related("uploaded_by"),
            "form": form,
            "bad_rows": rows,
        },
    )


@login_required
def series_detail(request: HttpRequest, code: str) -> HttpResponse:
    series = (
        ExternalSeries.objects.restrict(request.user, "view")  # type: ignore[arg-type]
        .filter(code=code)
        .first()
    )
    if series is None:
        raise Http404
    return render(
        request,
        "policy/series_detail.html",
        {
            "series": series,
            "values": series.values.all(),
            "targets": _targets(request).filter(Q(series=series) | Q(benchmark=series)),
        },
    )
