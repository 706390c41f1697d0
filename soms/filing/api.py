"""Filing through the API: an enterprise's contracts, amendments, executions, monthly
workforce, annual information forms and training records (``/api/v1/filing/{kind}/``), with the
same services and rules as the web pages.

A record moves draft → submitted → approved, or → returned (with the reason) → resubmitted; it
may be withdrawn before review. An approved record is changed through a *correction*
(``POST …/{id}/correction``): a new row that goes through review while the approved values keep
counting. Reviewers decide under ``/api/v1/review/``.
"""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from soms.accounts.models import User, acting_user
from soms.core.errors import NotPermitted, ServiceError
from soms.core.pagination import Pages
from soms.filing import services
from soms.filing.choices import RecordStatus
from soms.filing.forms import parse_month
from soms.filing.models import RECORD_MODELS, Contract, FiledRecord
from soms.filing.views import RELATED, corrections_of
from soms.registry.models import Enterprise
from soms.review.services import comments_on

router = Router(tags=["filing"])

RecordKind = Literal["contract", "amendment", "execution", "workforce", "annual", "training"]
StatusName = Literal["draft", "submitted", "returned", "approved"]


# --- output -------------------------------------------------------------------------------------


class ViolationOut(Schema):
    """A rule the record breaks: an error blocks it, a warning needs a comment to submit."""

    code: str
    severity: str = Field(description="error or warning")
    field: str | None
    message: str = Field(description="Chinese / English")
    message_zh: str
    message_en: str


class CommentOut(Schema):
    id: int
    author: str
    text: str
    created_at: dt.datetime

    @staticmethod
    def resolve_author(obj: Any) -> str:
        return str(obj.author)


def plain(row: FiledRecord, field: str) -> Any:
    """A value as the API writes it: codes for references, strings for amounts."""
    value = getattr(row, field)
    if value is None:
        return None
    if field == "category":
        return value.code
    if field == "contract":
        return value.contract_no
    if field == "month":
        return f"{value:%Y-%m}"
    if hasattr(value, "pk"):
        return value.pk  # country and currency: their ISO codes
    if isinstance(value, Decimal):
        # Every amount has two decimal places, training hours one.
        places = getattr(type(row)._meta.get_field(field), "decimal_places", 2)
        return f"{value:.{places}f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class RecordOut(Schema):
    id: int
    kind: str = Field(description="contract, amendment, execution, workforce, annual or training")
    enterprise: str = Field(description="USCC of the filing enterprise")
    status: str = Field(description="draft, submitted, returned or approved")
    corrects: int | None = Field(
        description="For a correction: the id of the approved record it corrects"
    )
    period: str = Field(
        description="YYYY-MM, the month the record is dated in (the annual form: December of "
        "its year)"
    )
    is_late: bool = Field(
        description="Submitted after the due date, with any extension: a month's records are "
        "due in the next month (SOMS_DUE_DAY, default the 5th), the annual form in the following "
        "year (SOMS_ANNUAL_DUE, default 15 January)"
    )
    key: dict[str, Any] = Field(
        description="What names the record: contract_no; for an amendment or execution also "
        "amendment_no or execution_no; month (YYYY-MM) for workforce; year for the annual form; "
        "record_no for a training record"
    )
    values: dict[str, Any] = Field(
        description="The values filed (references as codes, amounts as decimal strings)"
    )
    warnings: list[ViolationOut]
    warning_comment: str = Field(description="The filer's explanation of the warnings")
    return_reason: str = Field(description="Why the reviewer returned it (while returned)")
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    version: int = Field(description="Lock version: send it with a change or a decision")

    @staticmethod
    def resolve_kind(obj: FiledRecord) -> str:
        return obj.kind

    @staticmethod
    def resolve_enterprise(obj: FiledRecord) -> str:
        return obj.enterprise.uscc

    @staticmethod
    def resolve_corrects(obj: FiledRecord) -> int | None:
        return obj.corrects_id

    @staticmethod
    def resolve_period(obj: FiledRecord) -> str:
        return f"{obj.period:%Y-%m}"

    @staticmethod
    def resolve_key(obj: FiledRecord) -> dict[str, Any]:
        return {("contract_no" if f == "contract" else f): plain(obj, f) for f in obj.KEY_FIELDS}

    @staticmethod
    def resolve_values(obj: FiledRecord) -> dict[str, Any]:
        return {f: plain(obj, f) for f in obj.VALUE_FIELDS}

    @staticmethod
    def resolve_version(obj: FiledRecord) -> int:
        return obj.lock_version


class RecordDetailOut(RecordOut):
    comments: list[CommentOut] = Field(description="The thread between enterprise and reviewers")
    open_correction: int | None = Field(
        description="The id of this record's correction in progress, if any"
    )

    @staticmethod
    def resolve_comments(obj: FiledRecord) -> list[Any]:
        return list(comments_on(obj))

    @staticmethod
    def resolve_open_correction(obj: FiledRecord) -> int | None:
        if obj.is_correction:
            return None
        open_rows = corrections_of(obj).exclude(status=RecordStatus.APPROVED)
        pk: int | None = open_rows.values_list("pk", flat=True).first()
        return pk


# --- input --------------------------------------------------------------------------------------


class ValuesIn(Schema):
    """The values of a record. Each kind reads its own and ignores the others; the services
    check them (a refusal answers 400 with the field and the rule in Chinese and English)."""

    direction: str | None = Field(None, description="contract: inbound or outbound")
    counterpart_name: str | None = Field(None, description="contract")
    counterpart_country: str | None = Field(
        None, description="contract: ISO 3166-1 alpha-2 code (e.g. US) or Chinese name"
    )
    category: str | None = Field(
        None,
        description="contract: a most detailed category of the catalogue in force on "
        "signed_on, e.g. ITO01",
    )
    currency: str | None = Field(None, description="contract, execution: ISO 4217 code")
    amount: Decimal | None = Field(None, description="contract, execution: at most 2 decimals")
    signed_on: dt.date | None = Field(None, description="contract")
    start_on: dt.date | None = Field(None, description="contract (optional)")
    end_on: dt.date | None = Field(None, description="contract (optional)")
    effective_on: dt.date | None = Field(None, description="amendment")
    new_amount: Decimal | None = Field(None, description="amendment: the contract amount after it")
    reason: str | None = Field(None, description="amendment: why (optional)")
    executed_on: dt.date | None = Field(None, description="execution")
    receipt_no: str | None = Field(
        None, description="execution: bank receipt voucher number (optional)"
    )
    employees: int | None = Field(None, description="workforce")
    employees_college: int | None = Field(None, description="workforce")
    new_hires: int | None = Field(None, description="workforce")
    new_hires_college: int | None = Field(None, description="workforce")
    revenue_total: Decimal | None = Field(
        None, description="annual: total operating revenue, yuan, at most 2 decimals, >= 0"
    )
    revenue_outsourcing: Decimal | None = Field(
        None, description="annual: service-outsourcing revenue, yuan (<= revenue_total)"
    )
    revenue_offshore: Decimal | None = Field(
        None,
        description="annual: offshore service-outsourcing revenue, yuan (<= revenue_outsourcing)",
    )
    revenue_tase_scope: Decimal | None = Field(
        None,
        description="annual: revenue from advanced-technology services, yuan (<= revenue_total)",
    )
    staff_education_spend: Decimal | None = Field(
        None, description="annual: staff education spending, yuan"
    )
    employees_year_end: int | None = Field(None, description="annual: employees at the year end")
    employees_college_year_end: int | None = Field(
        None, description="annual: employees with college education at the year end"
    )
    trainee_name: str | None = Field(
        None, description="training: the trainee's name (no identity document number)"
    )
    institution: str | None = Field(None, description="training: the training institution")
    course: str | None = Field(None, description="training")
    hours: Decimal | None = Field(None, description="training: > 0, at most 1 decimal")
    completed_on: dt.date | None = Field(None, description="training: not in the future")
    hired: bool | None = Field(
        None, description="training: hired by the enterprise after the training (default false)"
    )


class RecordIn(ValuesIn):
    """A new record: its key fields and its values."""

    contract_no: str | None = Field(
        None,
        description="contract: its number; amendment and execution: the number of the "
        "enterprise's contract they belong to",
    )
    amendment_no: str | None = Field(None, description="amendment: its number")
    execution_no: str | None = Field(None, description="execution: its number")
    month: str | None = Field(None, description="workforce: YYYY-MM")
    year: int | None = Field(None, description="annual: the year reported on (YYYY)")
    record_no: str | None = Field(None, description="training: its number")


class RecordUpdateIn(ValuesIn):
    """All the values of a draft or returned record (key fields do not change)."""

    version: int | None = Field(None, description="The version read; a stale one answers 409")


class SubmitIn(Schema):
    comment: str = Field("", description="Explanation of the warnings; required when any")
    version: int | None = Field(None, description="The version read; a stale one answers 409")


class VersionIn(Schema):
    version: int | None = Field(None, description="The version read; a stale one answers 409")


# --- helpers ------------------------------------------------------------------------------------


def rows(request: HttpRequest, kind: str, action: str) -> Any:
    return (
        RECORD_MODELS[kind]
        .objects.restrict(acting_user(request), action)
        .select_related("enterprise", "corrects", *RELATED[kind])
    )


def get_row(request: HttpRequest, kind: str, id: int, action: str = "view") -> FiledRecord:
    """The row if the caller may act on it; 404 otherwise (no leak of its existence)."""
    row: FiledRecord = get_object_or_404(rows(request, kind, action), pk=id)
    return row


def month_param(value: str, field: str = "month") -> dt.date:
    month = parse_month(value)
    if month is None:
        raise ServiceError(
            _("“%(value)s” is not a month (YYYY-MM)."),
            code="invalid_month",
            field=field,
            params={"value": value},
        )
    return month


def filing_enterprise(user: User) -> Enterprise:
    enterprise = (
        Enterprise.objects.restrict(user, "change").filter(pk=user.enterprise_id).first()
        if user.is_enterprise_user and user.enterprise_id
        else None
    )
    if enterprise is None:
        raise NotPermitted(_("You may not file for this enterprise."), code="not_permitted")
    return enterprise


def key_of(kind: str, user: User, enterprise: Enterprise, data: dict[str, Any]) -> dict[str, Any]:
    if kind == "contract":
        return {"contract_no": data.get("contract_no")}
    if kind == "workforce":
        month = data.get("month")
        return {"month": month_param(month) if month else None}
    if kind in ("annual", "training"):
        return {f: data.get(f) for f in RECORD_MODELS[kind].KEY_FIELDS}
    number = (data.get("contract_no") or "").strip()
    if not number:
        raise ServiceError(
            _("“%(field)s” is required."),
            code="required",
            field="contract_no",
            params={"field": Contract._meta.get_field("contract_no").verbose_name},
        )
    contract = (
        Contract.objects.restrict(user, "file")
        .records()
        .filter(enterprise=enterprise, contract_no=number)
        .first()
    )
    if contract is None:
        raise ServiceError(
            _("This enterprise has no contract numbered “%(value)s”."),
            code="unknown_contract",
            field="contract_no",
            params={"value": number},
        )
    return {"contract": contract, f"{kind}_no": data.get(f"{kind}_no")}


# --- endpoints ----------------------------------------------------------------------------------


@router.get("/{kind}/", response=list[RecordOut])
@paginate(Pages)
def list_records(
    request: HttpRequest,
    kind: RecordKind,
    month: str | None = None,
    status: StatusName | None = None,
) -> Any:
    """Records and corrections of a kind that the caller may see (an enterprise: its own; an
    official: those of the jurisdiction), newest month first. ``month`` is YYYY-MM."""
    queryset = rows(request, kind, "view")
    if month:
        queryset = queryset.filter(period=month_param(month))
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-period", "-pk")


@router.post("/{kind}/", response={201: RecordOut})
def create_record(request: HttpRequest, kind: RecordKind, payload: RecordIn) -> Status[FiledRecord]:
    """A new draft of the caller's enterprise (enterprise users only). Amendments and
    executions name their contract by ``contract_no``."""
    user = acting_user(request)
    enterprise = filing_enterprise(user)
    data = payload.dict()
    row = services.create_record(
        actor=user,
        model=RECORD_MODELS[kind],
        enterprise=enterprise,
        key=key_of(kind, user, enterprise, data),
        data=data,
    )
    return Status(201, row)


@router.get("/{kind}/{id}", response=RecordDetailOut)
def get_record(request: HttpRequest, kind: RecordKind, id: int) -> FiledRecord:
    """A record or correction, with its warnings, comments and open correction."""
    return get_row(request, kind, id)


@router.put("/{kind}/{id}", response=RecordOut)
def update_record(
    request: HttpRequest, kind: RecordKind, id: int, payload: RecordUpdateIn
) -> FiledRecord:
    """Replace the values of a draft or returned row (to change an approved record, start a
    correction)."""
    row = get_row(request, kind, id, "file")
    data = payload.dict()
    return services.update_record(
        actor=acting_user(request), row=row, data=data, expected_version=data.pop("version")
    )


@router.delete("/{kind}/{id}", response={204: None})
def discard_record(request: HttpRequest, kind: RecordKind, id: int) -> Status[None]:
    """Discard a draft that was never approved."""
    services.discard(actor=acting_user(request), row=get_row(request, kind, id, "file"))
    return Status(204, None)


@router.post("/{kind}/{id}/submit", response=RecordOut)
def submit_record(
    request: HttpRequest, kind: RecordKind, id: int, payload: SubmitIn
) -> FiledRecord:
    """Submit a draft or returned row for review. Errors refuse it; warnings need ``comment``
    (400 ``warning_comment_required`` otherwise)."""
    return services.submit(
        actor=acting_user(request),
        row=get_row(request, kind, id, "file"),
        comment=payload.comment,
        expected_version=payload.version,
    )


@router.post("/{kind}/{id}/withdraw", response=RecordOut)
def withdraw_record(
    request: HttpRequest, kind: RecordKind, id: int, payload: VersionIn
) -> FiledRecord:
    """Take a submitted row back before review; it is a draft again."""
    return services.withdraw(
        actor=acting_user(request),
        row=get_row(request, kind, id, "file"),
        expected_version=payload.version,
    )


@router.post("/{kind}/{id}/correction", response={200: RecordOut, 201: RecordOut})
def start_correction(request: HttpRequest, kind: RecordKind, id: int) -> Status[FiledRecord]:
    """A draft correction of an approved record, with the record's values to change (201), or
    the correction already in progress (200). The approved values keep counting until the
    correction is approved."""
    record = get_row(request, kind, id, "file")
    existing = corrections_of(record).exclude(status=RecordStatus.APPROVED).exists()
    correction = services.start_correction(actor=acting_user(request), record=record)
    return Status(200 if existing else 201, get_row(request, kind, correction.pk))
