"""The district's review of filed records: the queue (records and corrections awaiting review,
with their warnings and comments), decisions one by one from the record page, and in bulk.

The URLs live in :mod:`soms.filing.urls` (``/filing/review/…``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from soms.accounts.choices import Role
from soms.accounts.models import User, acting_user
from soms.core.errors import ConflictError, ServiceError
from soms.core.forms import add_service_error
from soms.filing.choices import RecordStatus
from soms.filing.forms import BulkDecisionForm, QueueFilterForm, ReturnForm, VersionForm
from soms.filing.models import RECORD_MODELS, FiledRecord
from soms.filing.views import RELATED, compare_rows, get_row, refused, render_detail, summary
from soms.review import services
from soms.review.models import Comment

KIND_ORDER = list(RECORD_MODELS)


def reviewer(request: HttpRequest) -> User:
    """Records are reviewed by the district where the enterprise is registered."""
    user = acting_user(request)
    if user.role != Role.DISTRICT_REVIEWER:
        raise Http404("not a district reviewer")
    return user


def awaiting(user: User, params: QueryDict) -> tuple[QueueFilterForm, list[FiledRecord]]:
    """The rows awaiting the user's review, filtered, oldest submission first."""
    form = QueueFilterForm(params or None)
    form.is_valid()  # a filter in error is shown and left out; the others apply
    data = getattr(form, "cleaned_data", {})
    kinds = [data["kind"]] if data.get("kind") else KIND_ORDER
    filters: dict[str, Any] = {}
    if data.get("month"):
        filters["period"] = data["month"]
    if data.get("late"):
        filters["is_late"] = True
    warnings_only = bool(data.get("warnings"))
    rows: list[FiledRecord] = []
    for kind in kinds:
        queryset = (
            RECORD_MODELS[kind]
            .objects.restrict(user, "review")
            .filter(status=RecordStatus.SUBMITTED, **filters)
            .select_related("enterprise", "corrects", *RELATED[kind])
        )
        if warnings_only:
            queryset = queryset.exclude(warnings=[])
        rows.extend(queryset)
    rows.sort(key=lambda r: (r.submitted_at is None, r.submitted_at, KIND_ORDER.index(r.kind)))
    return form, rows


def comments_by_row(rows: list[FiledRecord]) -> dict[tuple[str, int], list[Comment]]:
    found: dict[tuple[str, int], list[Comment]] = defaultdict(list)
    by_kind: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        by_kind[row.kind].append(row.pk)
    for kind, pks in by_kind.items():
        content_type = ContentType.objects.get_for_model(RECORD_MODELS[kind])
        for comment in Comment.objects.filter(
            content_type=content_type, object_id__in=pks
        ).select_related("author"):
            found[(kind, comment.object_id)].append(comment)
    return found


def queue_context(
    request: HttpRequest,
    user: User,
    params: QueryDict,
    bulk_form: BulkDecisionForm | None = None,
    selected: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    form, rows = awaiting(user, params)
    page = Paginator(rows, 50).get_page(params.get("page"))
    comments = comments_by_row(list(page.object_list))
    items = []
    for row in page.object_list:
        item: dict[str, Any] = {
            "row": row,
            "key": f"{row.kind}:{row.pk}",
            "comments": comments.get((row.kind, row.pk), []),
            "name": row._meta.verbose_name,
            "summary": summary(row),
        }
        if row.is_correction:
            item["changes"] = [c for c in compare_rows(row.record, row) if c["changed"]]
        items.append(item)
    query = params.copy()
    query.pop("page", None)
    return {
        "form": form,
        "page": page,
        "items": items,
        "query": query.urlencode(),
        "bulk_form": bulk_form or BulkDecisionForm(),
        "selected": selected,
    }


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    user = reviewer(request)
    context = queue_context(request, user, request.GET)
    template = "filing/_queue_rows.html" if request.htmx else "filing/review_queue.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def selected_rows(user: User, keys: list[str]) -> list[FiledRecord]:
    """The rows named ``kind:pk`` that the user may review (others are not shown to them)."""
    wanted: dict[str, list[int]] = defaultdict(list)
    for key in keys:
        kind, _sep, pk = key.partition(":")
        if kind in RECORD_MODELS and pk.isdigit():
            wanted[kind].append(int(pk))
    rows: list[FiledRecord] = []
    for kind in KIND_ORDER:  # contracts first: their executions and amendments need them
        if wanted.get(kind):
            rows.extend(
                RECORD_MODELS[kind]
                .objects.restrict(user, "review")
                .filter(pk__in=wanted[kind])
                .select_related("enterprise")
                .order_by("submitted_at", "pk")
            )
    return rows


@login_required
@require_POST
def decide_bulk(request: HttpRequest) -> HttpResponse:
    """Approve or return the ticked rows; each decision stands on its own, and the refused ones
    are listed with the rule that refused them."""
    user = reviewer(request)
    form = BulkDecisionForm(request.POST)
    keys = request.POST.getlist("rows")
    params = QueryDict(request.POST.get("query", ""))
    back = reverse("filing:review_queue") + (f"?{params.urlencode()}" if params else "")
    if not form.is_valid():
        return redirect(back)
    approve = form.cleaned_data["decision"] == "approve"
    reason = (form.cleaned_data.get("reason") or "").strip()
    if not approve and not reason:
        add_service_error(
            form,
            ServiceError(
                gettext_lazy("Say why the record is returned."),
                code="reason_required",
                field="reason",
            ),
        )
        context = queue_context(request, user, params, form, frozenset(keys))
        return render(request, "filing/review_queue.html", context)
    rows = selected_rows(user, keys)
    if not rows:
        messages.warning(request, _("Tick the records to decide first."))
        return redirect(back)
    result = services.decide_many(actor=user, rows=rows, approve=approve, reason=reason)
    if result.done:
        count = len(result.done)
        messages.success(
            request,
            (
                ngettext("%(count)d record approved.", "%(count)d records approved.", count)
                if approve
                else ngettext("%(count)d record returned.", "%(count)d records returned.", count)
            )
            % {"count": count},
        )
    for row, error in result.refused:
        messages.error(
            request,
            _("Refused: %(kind)s %(record)s — %(reason)s")
            % {"kind": row._meta.verbose_name, "record": row, "reason": error.text},
        )
    return redirect(back)


def _after_decision(row: FiledRecord) -> HttpResponse:
    return redirect("filing:detail", kind=row.kind, pk=row.pk)


@login_required
@require_POST
def approve(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    user = reviewer(request)
    row = get_row(request, kind, pk, "review")
    form = VersionForm(request.POST)
    form.is_valid()
    try:
        services.approve_record(
            actor=user, row=row, expected_version=form.cleaned_data.get("version")
        )
    except ServiceError as error:
        return refused(request, row, error)
    if row.is_correction:
        messages.success(request, _("The correction is approved; its values are now in force."))
    else:
        messages.success(request, _("The record is approved."))
    return _after_decision(row.record)


@login_required
@require_POST
def return_record(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    user = reviewer(request)
    row = get_row(request, kind, pk, "review")
    form = ReturnForm(request.POST)
    form.is_valid()
    try:
        services.return_record(
            actor=user,
            row=row,
            reason=form.cleaned_data.get("reason") or "",
            expected_version=form.cleaned_data.get("version"),
        )
    except ConflictError as error:
        return refused(request, row, error)
    except ServiceError as error:
        if error.field not in form.fields:
            return refused(request, row, error)
        add_service_error(form, error)
        return render_detail(request, row, return_form=form)
    messages.success(request, _("The record is returned to the enterprise."))
    return _after_decision(row)
