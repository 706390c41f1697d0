"""Filing pages: the enterprise's filing home, record lists, forms and the record page.

Rows come from ``restrict()`` (outside the user's scope: 404), changes from the services of
:mod:`soms.filing.services` and :mod:`soms.review.services`; a refusal is shown next to its field.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from soms.accounts.models import User, acting_user
from soms.audit.models import AuditEvent
from soms.core.errors import ConflictError, ServiceError
from soms.core.forms import add_service_error
from soms.filing import rules, services
from soms.filing.calendar import month_of
from soms.filing.choices import EDITABLE, Cycle, RecordStatus, Severity
from soms.filing.forms import (
    FORMS,
    CommentForm,
    RecordFilterForm,
    ReturnForm,
    SubmitForm,
    VersionForm,
    countries,
)
from soms.filing.models import RECORD_MODELS, FiledRecord
from soms.registry.models import Enterprise
from soms.review import services as review

# Related rows a record page shows, per kind (one query instead of one per value).
RELATED: dict[str, tuple[str, ...]] = {
    "contract": ("counterpart_country", "category", "currency"),
    "amendment": ("contract",),
    "execution": ("contract", "currency"),
    "workforce": (),
    "annual": (),
    "training": (),
}
RECENT_MONTHS = 6
RECENT_YEARS = 3
# The values that sum a row up in lists and the review queue.
SUMMARY: dict[str, tuple[str, ...]] = {
    "contract": ("direction", "counterpart_name", "category", "amount", "currency"),
    "amendment": ("effective_on", "new_amount"),
    "execution": ("executed_on", "amount", "currency", "receipt_no"),
    "workforce": ("employees", "employees_college", "new_hires", "new_hires_college"),
    "annual": ("revenue_total", "revenue_outsourcing", "revenue_offshore", "employees_year_end"),
    "training": ("trainee_name", "course", "hours", "completed_on", "hired"),
}


def model_of(kind: str) -> type[FiledRecord]:
    try:
        return RECORD_MODELS[kind]
    except KeyError:
        raise Http404(kind) from None


def scoped_rows(request: HttpRequest, kind: str, action: str = "view") -> Any:
    model = model_of(kind)
    return model.objects.restrict(acting_user(request), action).select_related(
        "enterprise", "corrects", *RELATED[kind]
    )


def get_row(request: HttpRequest, kind: str, pk: int, action: str = "view") -> FiledRecord:
    """The row ``pk`` of a kind if the user may act on it; 404 otherwise (no leak)."""
    row: FiledRecord = get_object_or_404(scoped_rows(request, kind, action), pk=pk)
    return row


def filing_enterprise(request: HttpRequest) -> Enterprise:
    """The enterprise the user files for; 404 for anyone else (officials do not file)."""
    user = acting_user(request)
    enterprise = (
        Enterprise.objects.restrict(user, "change").filter(pk=user.enterprise_id).first()
        if user.is_enterprise_user and user.enterprise_id
        else None
    )
    if enterprise is None:
        raise Http404("not an enterprise user")
    return enterprise


# --- presenting values --------------------------------------------------------------------------


def label(model: type[FiledRecord], field: str) -> Any:
    return getattr(model._meta.get_field(field), "verbose_name", field)


def shown(row: FiledRecord, field: str) -> str:
    """A value as the pages show it."""
    value = getattr(row, field)
    if value is None or value == "":
        return "—"
    model_field = type(row)._meta.get_field(field)
    if getattr(model_field, "choices", None):
        return str(getattr(row, f"get_{field}_display")())
    if field == "month":
        return f"{value:%Y-%m}"
    if field == "counterpart_country":
        return f"{value.name} ({value.code})"
    if field == "currency":
        return str(value.code)
    if field == "contract":
        return str(value.contract_no)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal):
        return f"{value:,.{getattr(model_field, 'decimal_places', 2)}f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def raw(row: FiledRecord, field: str) -> Any:
    model_field = type(row)._meta.get_field(field)
    return getattr(row, f"{field}_id" if model_field.is_relation else field)


def value_rows(row: FiledRecord) -> list[tuple[Any, str]]:
    model = type(row)
    return [(label(model, f), shown(row, f)) for f in (*model.KEY_FIELDS, *model.VALUE_FIELDS)]


def summary(row: FiledRecord) -> list[tuple[Any, str]]:
    return [(label(type(row), f), shown(row, f)) for f in SUMMARY[row.kind]]


def compare_rows(record: FiledRecord, correction: FiledRecord) -> list[dict[str, Any]]:
    """field | approved value | corrected value, with the differences marked."""
    model = type(record)
    return [
        {
            "field": f,
            "label": label(model, f),
            "approved": shown(record, f),
            "corrected": shown(correction, f),
            "changed": raw(record, f) != raw(correction, f),
        }
        for f in model.VALUE_FIELDS
    ]


def querystring_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- the filing home ----------------------------------------------------------------------------


def recent_months(today: dt.date, count: int = RECENT_MONTHS) -> list[dt.date]:
    months = [month_of(today)]
    while len(months) < count:
        first = months[-1]
        months.append((first - dt.timedelta(days=1)).replace(day=1))
    return months


def recent_periods(model: type[FiledRecord], today: dt.date) -> list[tuple[str, dt.date]]:
    """The periods the home page counts a kind's records in, newest first, with their labels:
    recent months; for the annual form the Decembers of recent years, labelled by year."""
    if model.CYCLE == Cycle.ANNUAL:
        years = range(today.year - 1, today.year - 1 - RECENT_YEARS, -1)
        return [(str(year), dt.date(year, 12, 1)) for year in years]
    return [(f"{month:%Y-%m}", month) for month in recent_months(today)]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Per kind, the records of recent months by status; what to file; what came back."""
    user = acting_user(request)
    today = timezone.localdate()
    statuses = list(RecordStatus)
    kinds = []
    returned: list[dict[str, Any]] = []
    for kind, model in RECORD_MODELS.items():
        rows = model.objects.restrict(user, "view")
        periods = recent_periods(model, today)
        counts: dict[tuple[dt.date, str], int] = {
            (c["period"], c["status"]): c["n"]
            for c in rows.records()
            .filter(period__in=[period for _label, period in periods])
            .values("period", "status")
            .annotate(n=Count("pk"))
        }
        kinds.append(
            {
                "kind": kind,
                "name": model._meta.verbose_name_plural,
                "singular": model._meta.verbose_name,
                "period_name": _("year") if model.CYCLE == Cycle.ANNUAL else _("month"),
                "periods": [
                    (text, period, [counts.get((period, s.value), 0) for s in statuses])
                    for text, period in periods
                ],
                "open_corrections": rows.filter(corrects__isnull=False)
                .exclude(status=RecordStatus.APPROVED)
                .count(),
            }
        )
        returned.extend(
            {"row": row, "name": model._meta.verbose_name}
            for row in rows.filter(status=RecordStatus.RETURNED)
            .select_related("enterprise", "corrects")
            .order_by("-decided_at")[:10]
        )
    returned.sort(key=lambda r: r["row"].decided_at or timezone.now(), reverse=True)
    return render(
        request,
        "filing/home.html",
        {
            "kinds": kinds,
            "statuses": [(s.value, s.label) for s in statuses],
            "returned": returned[:10],
            "files": user.is_enterprise_user and user.enterprise_id is not None,
        },
    )


# --- lists --------------------------------------------------------------------------------------


@login_required
def record_list(request: HttpRequest, kind: str) -> HttpResponse:
    model = model_of(kind)
    form = RecordFilterForm(request.GET or None)
    rows = scoped_rows(request, kind)
    form.is_valid()  # a filter in error is shown and left out; the others apply
    data = getattr(form, "cleaned_data", {})
    if month := data.get("month"):
        rows = rows.filter(period=month)
    if status := data.get("status"):
        rows = rows.filter(status=status)
    page = Paginator(rows.order_by("-period", "-pk"), 50).get_page(request.GET.get("page"))
    user = acting_user(request)
    context = {
        "kind": kind,
        "model_name": model._meta.verbose_name_plural,
        "singular": model._meta.verbose_name,
        "form": form,
        "page": page,
        "columns": [label(model, f) for f in SUMMARY[kind]],
        "rows": [{"row": r, "cells": [shown(r, f) for f in SUMMARY[kind]]} for r in page],
        "query": querystring_without_page(request),
        # The exchange file of this kind (exchange-format.md names them in the plural).
        "export_kind": "workforce" if kind == "workforce" else f"{kind}s",
        "files": user.is_enterprise_user and user.enterprise_id is not None,
        "officials": not user.is_enterprise_user,
    }
    template = "filing/_record_rows.html" if request.htmx else "filing/record_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


# --- forms --------------------------------------------------------------------------------------


def _form_page(request: HttpRequest, kind: str, form: Any, row: FiledRecord | None) -> HttpResponse:
    return render(
        request,
        "filing/record_form.html",
        {
            "kind": kind,
            "model_name": model_of(kind)._meta.verbose_name,
            "form": form,
            "row": row,
            "countries": countries() if kind == "contract" else [],
        },
    )


@login_required
def record_create(request: HttpRequest, kind: str) -> HttpResponse:
    model = model_of(kind)
    enterprise = filing_enterprise(request)
    form = FORMS[kind](request.POST or None, enterprise=enterprise)
    if request.method == "POST" and form.is_valid():
        try:
            row = services.create_record(
                actor=acting_user(request),
                model=model,
                enterprise=enterprise,
                key=form.key(),
                data=form.values(),
            )
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The draft is saved. Submit it for review when ready."))
            return redirect("filing:detail", kind=kind, pk=row.pk)
    return _form_page(request, kind, form, None)


@login_required
def record_edit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    row = get_row(request, kind, pk, "file")
    if row.status not in EDITABLE:
        # Submitted or approved: the record page says what can be done (withdraw, correct).
        messages.error(
            request,
            _(
                "Only a draft or a returned record can be edited; this one is “%(status)s”. "
                "Start a correction to change an approved record."
            )
            % {"status": RecordStatus(row.status).label},
        )
        return redirect("filing:detail", kind=kind, pk=row.pk)
    form = FORMS[kind](
        request.POST or None,
        enterprise=row.enterprise,
        row=row,
        initial={**FORMS[kind].initial_from(row), "version": row.lock_version},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_record(
                actor=acting_user(request),
                row=row,
                data=form.values(),
                expected_version=form.cleaned_data.get("version"),
            )
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The record is saved."))
            return redirect("filing:detail", kind=kind, pk=row.pk)
    return _form_page(request, kind, form, row)


# --- the record page ----------------------------------------------------------------------------


def corrections_of(row: FiledRecord) -> Any:
    """The correction rows of a record (typed loosely: the ORM plugin cannot type a lookup on
    the abstract record model)."""
    model: Any = type(row)
    return model.objects.filter(corrects_id=row.pk)


def detail_context(request: HttpRequest, row: FiledRecord, **forms: Any) -> dict[str, Any]:
    """Everything the record page shows; ``forms`` replaces a form (bound, with its errors)."""
    user: User = acting_user(request)
    model = type(row)
    scoped = model.objects.filter(pk=row.pk)
    can_file = scoped.restrict(user, "file").exists()
    can_review = scoped.restrict(user, "review").exists()
    editable = row.status in EDITABLE
    context: dict[str, Any] = {
        "row": row,
        "kind": model.kind,
        "model_name": model._meta.verbose_name,
        "model_name_plural": model._meta.verbose_name_plural,
        "values": value_rows(row),
        "can": {
            "edit": can_file and editable,
            "submit": can_file and editable,
            "withdraw": can_file and row.status == RecordStatus.SUBMITTED,
            "discard": can_file and row.status == RecordStatus.DRAFT,
            "correct": can_file and row.status == RecordStatus.APPROVED and not row.is_correction,
            "review": can_review and row.status == RecordStatus.SUBMITTED,
        },
        "comments": review.comments_on(row),
        "events": AuditEvent.objects.for_object(row)[:50],
        "version_form": VersionForm(initial={"version": row.lock_version}),
        "submit_form": SubmitForm(
            initial={"version": row.lock_version, "warning_comment": row.warning_comment}
        ),
        "return_form": ReturnForm(initial={"version": row.lock_version}),
        "comment_form": CommentForm(),
    }
    if context["can"]["submit"]:
        found = rules.check(row)
        context["live_errors"] = [v for v in found if v.severity == Severity.ERROR]
        context["live_warnings"] = [v for v in found if v.severity == Severity.WARNING]
    if row.is_correction:
        record = row.record
        context["record"] = record
        context["compare"] = compare_rows(record, row)
    else:
        corrections = corrections_of(row).order_by("-pk")
        context["open_correction"] = corrections.exclude(status=RecordStatus.APPROVED).first()
        if context["open_correction"] is not None:
            context["compare"] = compare_rows(row, context["open_correction"])
        context["past_corrections"] = list(corrections.filter(status=RecordStatus.APPROVED))
    context.update(forms)
    return context


def render_detail(request: HttpRequest, row: FiledRecord, **forms: Any) -> HttpResponse:
    return render(request, "filing/record_detail.html", detail_context(request, row, **forms))


@login_required
def record_detail(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    return render_detail(request, get_row(request, kind, pk))


def refused(request: HttpRequest, row: FiledRecord, error: ServiceError) -> HttpResponse:
    """A refusal that no field explains (a conflict, a transition): a message on the page as
    it now stands."""
    messages.error(request, error.text)
    return redirect("filing:detail", kind=row.kind, pk=row.pk)


@login_required
@require_POST
def submit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    row = get_row(request, kind, pk, "file")
    form = SubmitForm(request.POST)
    form.is_valid()
    try:
        services.submit(
            actor=acting_user(request),
            row=row,
            comment=form.cleaned_data.get("warning_comment") or "",
            expected_version=form.cleaned_data.get("version"),
        )
    except ConflictError as error:
        return refused(request, row, error)
    except ServiceError as error:
        add_service_error(form, error)
        return render_detail(request, row, submit_form=form)
    messages.success(request, _("The record is submitted for review."))
    return redirect("filing:detail", kind=kind, pk=pk)


@login_required
@require_POST
def withdraw(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    row = get_row(request, kind, pk, "file")
    form = VersionForm(request.POST)
    form.is_valid()
    try:
        services.withdraw(
            actor=acting_user(request), row=row, expected_version=form.cleaned_data.get("version")
        )
    except ServiceError as error:
        return refused(request, row, error)
    messages.success(request, _("The record is withdrawn; it is a draft again."))
    return redirect("filing:detail", kind=kind, pk=pk)


@login_required
@require_POST
def discard(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    row = get_row(request, kind, pk, "file")
    record = row.record
    try:
        services.discard(actor=acting_user(request), row=row)
    except ServiceError as error:
        return refused(request, row, error)
    messages.success(request, _("The draft is discarded."))
    if record.pk != row.pk:
        return redirect("filing:detail", kind=kind, pk=record.pk)
    return redirect("filing:list", kind=kind)


@login_required
@require_POST
def start_correction(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    row = get_row(request, kind, pk, "file")
    try:
        correction = services.start_correction(actor=acting_user(request), record=row)
    except ServiceError as error:
        return refused(request, row, error)
    messages.info(
        request,
        _(
            "Correct the values and submit the correction; the approved values stay in force "
            "until the correction is approved."
        ),
    )
    return redirect("filing:edit", kind=kind, pk=correction.pk)


@login_required
@require_POST
def comment(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    row = get_row(request, kind, pk)
    form = CommentForm(request.POST)
    form.is_valid()
    try:
        review.add_comment(actor=acting_user(request), row=row, text=form.cleaned_data["text"])
    except ServiceError as error:
        add_service_error(form, error)
        return render_detail(request, row, comment_form=form)
    return redirect(reverse("filing:detail", kwargs={"kind": kind, "pk": pk}) + "#comments")
