"""Record review through the API (``/api/v1/review/``): the district's queue, approving or
returning a record or correction (one by one or in bulk), and the comment thread on a record.

Decisions name the version they were made on; a stale version answers 409 "changed by someone
else". Records are reviewed by the district where the enterprise is registered: for anyone else
a record to decide answers 404.
"""

from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from soms.accounts.choices import Role
from soms.accounts.models import acting_user
from soms.core.errors import NotPermitted, ServiceError
from soms.core.pagination import Pages
from soms.filing.api import CommentOut, RecordKind, RecordOut, get_row, month_param, rows
from soms.filing.choices import RecordStatus
from soms.filing.models import RECORD_MODELS, FiledRecord
from soms.review import services

router = Router(tags=["review"])


class DecisionIn(Schema):
    version: int | None = Field(None, description="The version read; a stale one answers 409")


class ReturnIn(Schema):
    reason: str = Field("", description="Why the record is returned (required)")
    version: int | None = Field(None, description="The version read; a stale one answers 409")


class CommentIn(Schema):
    text: str = Field("", description="The comment (required)")


class RecordRef(Schema):
    kind: RecordKind
    id: int


class BulkIn(Schema):
    records: list[RecordRef]
    decision: Literal["approve", "return"]
    reason: str = Field("", description="Why the records are returned (required to return)")


class RefusalOut(Schema):
    kind: str
    id: int
    code: str
    field: str | None
    message: str
    message_zh: str
    message_en: str


class BulkOut(Schema):
    done: list[RecordOut] = Field(description="The records decided")
    refused: list[RefusalOut] = Field(description="The records refused, with the rule")


@router.get("/queue", response=list[RecordOut])
@paginate(Pages)
def queue(
    request: HttpRequest,
    kind: RecordKind | None = None,
    month: str | None = None,
    late: bool = False,
    warnings: bool = False,
) -> Any:
    """Records and corrections awaiting the caller's review, oldest submission first. Records
    are reviewed by district reviewers; anyone else is refused (403)."""
    if acting_user(request).role != Role.DISTRICT_REVIEWER:
        raise NotPermitted(_("Records are reviewed by the district reviewer."), code="forbidden")
    found: list[FiledRecord] = []
    period = month_param(month) if month else None
    names: list[str] = [kind] if kind else list(RECORD_MODELS)
    for name in names:
        queryset = rows(request, name, "review").filter(status=RecordStatus.SUBMITTED)
        if period:
            queryset = queryset.filter(period=period)
        if late:
            queryset = queryset.filter(is_late=True)
        if warnings:
            queryset = queryset.exclude(warnings=[])
        found.extend(queryset)
    found.sort(key=lambda r: (r.submitted_at is None, r.submitted_at, r.kind, r.pk))
    return found


@router.post("/decisions", response=BulkOut)
def decide_many(request: HttpRequest, payload: BulkIn) -> dict[str, Any]:
    """Approve or return several records; each decision stands on its own. Records the caller
    may not review are refused as ``not_found``."""
    user = acting_user(request)
    chosen: list[FiledRecord] = []
    missing: list[dict[str, Any]] = []
    order = list(RECORD_MODELS)
    # Contracts first: their amendments and executions are approved after them.
    for ref in sorted(payload.records, key=lambda r: order.index(r.kind)):
        row = rows(request, ref.kind, "review").filter(pk=ref.id).first()
        if row is None:
            refusal = ServiceError(_("This record is not in your review queue."), code="not_found")
            missing.append({"kind": ref.kind, "id": ref.id, **refusal.as_dict()})
        else:
            chosen.append(row)
    result = services.decide_many(
        actor=user, rows=chosen, approve=payload.decision == "approve", reason=payload.reason
    )
    refused = [{"kind": row.kind, "id": row.pk, **error.as_dict()} for row, error in result.refused]
    return {"done": result.done, "refused": refused + missing}


@router.post("/{kind}/{id}/approve", response=RecordOut)
def approve(request: HttpRequest, kind: RecordKind, id: int, payload: DecisionIn) -> FiledRecord:
    """Approve a record awaiting review. For a correction, its values replace the record's and
    the record is answered."""
    return services.approve_record(
        actor=acting_user(request),
        row=get_row(request, kind, id, "review"),
        expected_version=payload.version,
    )


@router.post("/{kind}/{id}/return", response=RecordOut)
def return_record(
    request: HttpRequest, kind: RecordKind, id: int, payload: ReturnIn
) -> FiledRecord:
    """Return a record awaiting review to the enterprise, with the reason."""
    return services.return_record(
        actor=acting_user(request),
        row=get_row(request, kind, id, "review"),
        reason=payload.reason,
        expected_version=payload.version,
    )


@router.get("/{kind}/{id}/comments", response=list[CommentOut])
def list_comments(request: HttpRequest, kind: RecordKind, id: int) -> list[Any]:
    """The comment thread on a record, oldest first."""
    return list(services.comments_on(get_row(request, kind, id)))


@router.post("/{kind}/{id}/comments", response={201: CommentOut})
def add_comment(request: HttpRequest, kind: RecordKind, id: int, payload: CommentIn) -> Status[Any]:
    """Add to the thread on a record (the enterprise and the officials who see the record)."""
    comment = services.add_comment(
        actor=acting_user(request), row=get_row(request, kind, id), text=payload.text
    )
    return Status(201, comment)
