"""Releases for the ministry (prepare, preview, edit the bulletin, publish) and the open-data
portal for everyone (releases, bulletins, tables, downloads, revisions, metadata, the feed).

Every public page and download gets its release through ``Release.objects.visible_to``: before
its publication time a release answers 404 to anyone but ministry officials.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from soms.accounts.choices import ENTERPRISE_ROLES, Role
from soms.core.errors import ServiceError
from soms.dissemination import services
from soms.dissemination.forms import BulletinForm, PrepareForm, PublishForm
from soms.dissemination.models import Release
from soms.dissemination.pdf import bulletin_context, bulletin_pdf, period_text
from soms.dissemination.sdmx import data_csv, structure_message
from soms.dissemination.series import national_series
from soms.dissemination.tables import BY_CODE, Figures, as_rows, compute_figures, sheets
from soms.dissemination.workbook import workbook
from soms.statistics.access import access_for


def _month(label: str) -> dt.date:
    try:
        return dt.datetime.strptime(label, "%Y-%m").date()
    except ValueError:
        raise Http404 from None


def visible_release(request: HttpRequest, label: str) -> Release:
    release = Release.objects.visible_to(request.user).filter(period=_month(label)).first()
    if release is None:
        raise Http404
    return release


def _statistician(request: HttpRequest) -> None:
    if getattr(request.user, "role", None) != Role.MINISTRY_STATISTICIAN:
        raise Http404  # the release desk is not there for anyone else


def _download(content: bytes | str, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- the release desk (ministry statisticians) -------------------------------------------------


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    _statistician(request)
    form = PrepareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            release = services.prepare_release(request.user, form.cleaned_data["month"])
        except ServiceError as refused:
            form.add_error("month", refused.text)
        else:
            messages.success(request, _("The draft release is ready for preview."))
            return redirect("dissemination:release_desk", label=release.label)
    return render(
        request,
        "dissemination/desk.html",
        {"form": form, "releases": Release.objects.all()},
    )


@login_required
def release_desk(request: HttpRequest, label: str) -> HttpResponse:
    """The statistician's view of one release: a draft's current figures and bulletin, the
    forms to edit and publish it; a published one's frozen figures."""
    _statistician(request)
    release = visible_release(request, label)
    error = ""
    figures: Figures | None = None
    try:
        figures = services.release_figures(release)
    except ServiceError as refused:
        error = refused.text
    stale = (
        figures is not None
        and not release.is_published
        and services.digest(figures) != release.figures_digest
    )
    return render(
        request,
        "dissemination/release_desk.html",
        {
            "release": release,
            "period_text": period_text(release),
            "sheets": sheets(figures) if figures else [],
            "error": error,
            "stale": stale,
            "bulletin_form": BulletinForm(
                initial={"bulletin_zh": release.bulletin_zh, "bulletin_en": release.bulletin_en}
            ),
            "publish_form": PublishForm(),
        },
    )


def _act(request: HttpRequest, label: str, action: Any) -> HttpResponse:
    _statistician(request)
    release = visible_release(request, label)
    try:
        done = action(release)
    except ServiceError as refused:
        messages.error(request, refused.text)
    else:
        if done:
            messages.success(request, done)
    return redirect("dissemination:release_desk", label=label)


@login_required
@require_POST
def redraft(request: HttpRequest, label: str) -> HttpResponse:
    def action(release: Release) -> str:
        services.redraft_bulletin(request.user, release)
        return _("The bulletin was drafted again from the current figures.")

    return _act(request, label, action)


@login_required
@require_POST
def edit(request: HttpRequest, label: str) -> HttpResponse:
    form = BulletinForm(request.POST)

    def action(release: Release) -> str:
        if not form.is_valid():
            raise ServiceError(_("The bulletin needs its text."), code="required")
        services.edit_bulletin(
            request.user,
            release,
            form.cleaned_data["bulletin_zh"],
            form.cleaned_data["bulletin_en"],
        )
        return _("The bulletin was saved.")

    return _act(request, label, action)


@login_required
@require_POST
def publish(request: HttpRequest, label: str) -> HttpResponse:
    form = PublishForm(request.POST)

    def action(release: Release) -> str:
        if not form.is_valid():
            raise ServiceError(_("Give the publication time as YYYY-MM-DD HH:MM."), code="invalid")
        services.publish_release(request.user, release, form.cleaned_data["publish_at"])
        return _("The release is published; its figures are frozen.")

    return _act(request, label, action)


@login_required
def current_workbook(request: HttpRequest) -> HttpResponse:
    """The standard tables over current data, exact, for the official's own jurisdiction."""
    access = access_for(request.user)
    if access.public or getattr(request.user, "role", None) in ENTERPRISE_ROLES:
        raise Http404  # officials only: an enterprise has its own records, not tables
    try:
        month = _month(request.GET.get("month", ""))
    except Http404:
        month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    try:
        figures = compute_figures(month, access.scope, public=False)
    except ServiceError as refused:
        return HttpResponse(refused.text, status=400, content_type="text/plain; charset=utf-8")
    content = workbook(
        figures,
        heading=_("Current data (not a release), %(when)s") % {"when": timezone.localdate()},
    )
    return _download(content, f"soms-current-{month:%Y-%m}.xlsx", XLSX)


# --- the open-data portal ----------------------------------------------------------------------


def portal(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "dissemination/portal.html",
        {"releases": Release.objects.visible_to(request.user).filter(status="published")},
    )


def release_page(request: HttpRequest, label: str) -> HttpResponse:
    release = visible_release(request, label)
    if not release.is_published:
        raise Http404  # a draft is previewed on the desk
    figures = services.frozen_figures(release)
    return render(
        request,
        "dissemination/release.html",
        {
            "release": release,
            "period_text": period_text(release),
            "sheets": sheets(figures),
            "embargoed": not release.is_public,
        },
    )


def bulletin_page(request: HttpRequest, label: str) -> HttpResponse:
    release = visible_release(request, label)
    return render(request, "dissemination/bulletin.html", bulletin_context(release))


def bulletin_download(request: HttpRequest, label: str) -> HttpResponse:
    release = visible_release(request, label)
    language = request.GET.get("lang") or (
        "en" if (translation.get_language() or "").startswith("en") else "zh"
    )
    if language not in ("zh", "en"):
        raise Http404
    return _download(
        bulletin_pdf(release, language),
        f"soms-bulletin-{release.label}-{language}.pdf",
        "application/pdf",
    )


def tables_download(request: HttpRequest, label: str) -> HttpResponse:
    release = visible_release(request, label)
    figures = services.release_figures(release)
    content = workbook(figures, heading=_("Release %(month)s") % {"month": release.label})
    return _download(content, f"soms-tables-{release.label}.xlsx", XLSX)


CSV_COLUMNS = (
    "table",
    "series",
    "measure",
    "currency",
    "flow",
    "dimension",
    "key",
    "name",
    "value",
    "value_prev",
    "yoy_pct",
    "flag",
)


def figures_csv(figures: Figures) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in as_rows(figures):
        writer.writerow({k: "" if row[k] is None else row[k] for k in CSV_COLUMNS})
    return out.getvalue()


def figures_download(request: HttpRequest, label: str) -> HttpResponse:
    release = visible_release(request, label)
    return _download(
        "\ufeff" + figures_csv(services.release_figures(release)),
        f"soms-figures-{release.label}.csv",
        "text/csv; charset=utf-8",
    )


def sdmx_download(request: HttpRequest, label: str) -> HttpResponse:
    release = visible_release(request, label)
    return _download(
        data_csv(services.release_figures(release)),
        f"soms-sdmx-{release.label}.csv",
        "application/vnd.sdmx.data+csv; version=1.0.0; charset=utf-8",
    )


def sdmx_structure(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        structure_message(), content_type="application/vnd.sdmx.structure+xml; version=2.1"
    )


def revisions_page(request: HttpRequest, label: str) -> HttpResponse:
    release = visible_release(request, label)
    if not release.is_published:
        raise Http404
    error = ""
    tables: list[dict[str, Any]] = []
    try:
        tables = services.revisions(release)
    except ServiceError as refused:
        error = refused.text
    return render(
        request,
        "dissemination/revisions.html",
        {"release": release, "period_text": period_text(release), "tables": tables, "error": error},
    )


def series_page(request: HttpRequest) -> HttpResponse:
    series, error = _series()
    return render(
        request,
        "dissemination/series.html",
        {"sheet": sheets(series)[0] if series else None, "error": error},
    )


def _series() -> tuple[Figures | None, str]:
    try:
        return national_series(), ""
    except ServiceError as refused:
        return None, refused.text


def series_download(request: HttpRequest, kind: str) -> HttpResponse:
    series, error = _series()
    if series is None:
        return HttpResponse(error, status=409, content_type="text/plain; charset=utf-8")
    if kind == "csv":
        return _download(
            "\ufeff" + figures_csv(series), "soms-series.csv", "text/csv; charset=utf-8"
        )
    if kind == "xlsx":
        months = series.keys("national")
        covers = f"{months[0]} – {months[-1]}" if months else ""
        content = workbook(
            series,
            heading=_("National monthly time series (current figures)"),
            tables=[BY_CODE["national"]],
            covers=covers,
        )
        return _download(content, "soms-series.xlsx", XLSX)
    if kind == "sdmx":
        sdmx = data_csv(series)
        return _download(sdmx, "soms-series-sdmx.csv", "application/vnd.sdmx.data+csv")
    raise Http404


def about(request: HttpRequest) -> HttpResponse:
    """Definitions, counting rules, revision policy, the release calendar, contact."""
    calendar = Release.objects.filter(status="published").order_by("-publish_at")
    return render(
        request, "dissemination/about.html", {"calendar": calendar, "now": timezone.now()}
    )
