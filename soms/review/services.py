"""The reviewer's side: decisions on records, comments, period sign-off and reopening,
reminders. Each state change is one transaction with its audit event."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.audit.services import record as audit
from soms.audit.services import snapshot
from soms.core.errors import NotPermitted, ServiceError, bilingual
from soms.core.locking import lock_current
from soms.filing import rules
from soms.filing.choices import RecordStatus, Severity
from soms.filing.models import RECORD_MODELS, Amendment, Execution, Extension, FiledRecord
from soms.filing.signals import record_counted
from soms.reference.models import Division
from soms.review import hierarchy
from soms.review.choices import Level, SignOffStatus
from soms.review.hierarchy import Unit
from soms.review.models import Comment, Message, SignOff

R = TypeVar("R", bound=FiledRecord)


# --- locks --------------------------------------------------------------------------------------


def locking_sign_off(enterprise_division: str, period: dt.date) -> SignOff | None:
    """The sign-off in force that locks a district's month, if any (the lowest one)."""
    units = hierarchy.chain(Unit(Level.COUNTY, enterprise_division))
    q = Q()
    for unit in units:
        q |= Q(level=unit.level, division_id=unit.code)
    return (
        SignOff.objects.filter(q, period=period, status=SignOffStatus.SIGNED)
        .order_by("signed_at")
        .first()
    )


def _refuse_if_locked(row: FiledRecord) -> None:
    lock = locking_sign_off(row.enterprise.division_id, row.period)
    if lock is not None:
        raise ServiceError(
            _(
                "%(month)s is signed off and locked for this jurisdiction; ask the level above "
                "to reopen it."
            ),
            code="locked_month",
            params={"month": f"{row.period:%Y-%m}"},
        )


# --- decisions on records -----------------------------------------------------------------------


def _locked_row(row: R, expected_version: int | None) -> R:
    return lock_current(
        row,
        expected_version,
        _(
            "This record was changed by someone else in the meantime (another reviewer may "
            "have decided it). Reload the page to see its current state."
        ),
    )


def _require_review(actor: User, row: FiledRecord) -> None:
    if not type(row).objects.restrict(actor, "review").filter(pk=row.pk).exists():
        raise NotPermitted(_("You may not review this record."), code="not_permitted")


def _awaiting(row: FiledRecord) -> None:
    if row.status != RecordStatus.SUBMITTED:
        raise ServiceError(
            _("Only a record awaiting review can be decided; this one is “%(status)s”."),
            code="illegal_transition",
            params={"status": RecordStatus(row.status).label},
        )


@transaction.atomic
def approve_record(
    *,
    actor: User,
    row: R,
    expected_version: int | None = None,
    context: rules.Context | None = None,
) -> FiledRecord:
    """Approve a submitted record, or a correction (its values then replace the record's)."""
    _require_review(actor, row)
    current = _locked_row(row, expected_version)
    _awaiting(current)
    # The rules include the locked-month rule, so a locked month is refused here too.
    _refuse_unapprovable(current, context or rules.Context())
    now = (context.now if context else None) or timezone.now()
    if current.corrects_id is None:
        return _approve(actor, current, now, f"filing.{current.kind}.approved")
    record = type(current).objects.select_for_update().get(pk=current.corrects_id)
    before_values = record.values()
    before = snapshot(record)
    for field in record.VALUE_FIELDS:
        setattr(record, field, getattr(current, field))
    record.period = current.period
    record.decided_at, record.decided_by = now, actor
    record.lock_version += 1
    record.save()
    current.status = RecordStatus.APPROVED
    current.decided_at, current.decided_by = now, actor
    current.lock_version += 1
    current.save()
    audit(
        f"filing.{record.kind}.correction_approved",
        actor=actor,
        obj=record,
        before=before,
        after=snapshot(record),
    )
    record_counted.send(type(record), record=record, before=before_values, after=record.values())
    return record


def _refuse_unapprovable(current: FiledRecord, context: rules.Context) -> None:
    """The rules' errors (the locked-month rule among them), and a contract not yet approved
    under an amendment or execution."""
    errors = [v for v in rules.check(current, context) if v.severity == Severity.ERROR]
    if errors:
        first = errors[0]
        raise ServiceError(first.message, code=first.code, field=first.field, params=first.params)
    if (
        isinstance(current, Amendment | Execution)
        and current.contract.status != RecordStatus.APPROVED
    ):
        raise ServiceError(
            _("Approve the contract before its executions and amendments."),
            code="contract_not_approved",
            field="contract",
        )


def _approve(actor: User, current: R, now: Any, event: str) -> R:
    before = snapshot(current)
    current.status = RecordStatus.APPROVED
    current.decided_at, current.decided_by = now, actor
    current.return_reason = ""
    current.lock_version += 1
    current.save()
    audit(event, actor=actor, obj=current, before=before, after=snapshot(current))
    record_counted.send(type(current), record=current, before=None, after=current.values())
    return current


@transaction.atomic
def approve_as_history(*, actor: User, row: R, context: rules.Context) -> FiledRecord:
    """A record of the past, migrated by the ministry administrator's history import, approved
    as it was in the legacy system: no reviewer decides it again. The filing window and the
    deadlines do not apply (``context.history``); every other rule does."""
    if actor.role != Role.MINISTRY_ADMIN:
        raise NotPermitted(
            _("Only the ministry administrator may import records as already approved."),
            code="not_permitted",
        )
    current = _locked_row(row, None)
    _awaiting(current)
    _refuse_unapprovable(current, context)
    return _approve(
        actor, current, context.now or timezone.now(), f"filing.{current.kind}.approved_as_history"
    )


@transaction.atomic
def return_record(*, actor: User, row: R, reason: str, expected_version: int | None = None) -> R:
    _require_review(actor, row)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(
            _("Say why the record is returned."), code="reason_required", field="reason"
        )
    current = _locked_row(row, expected_version)
    _awaiting(current)
    _refuse_if_locked(current)
    before = snapshot(current)
    current.status = RecordStatus.RETURNED
    current.return_reason = reason
    current.decided_at, current.decided_by = timezone.now(), actor
    current.lock_version += 1
    current.save()
    audit(
        f"filing.{current.kind}.returned",
        actor=actor,
        obj=current,
        before=before,
        after=snapshot(current),
        reason=reason,
    )
    notify(
        User.objects.filter(enterprise_id=current.enterprise_id, is_active=True),
        kind="return",
        subject=_("Returned: %(kind)s %(record)s"),
        body=_("The reviewer returned %(kind)s %(record)s: %(reason)s"),
        params={"kind": current._meta.verbose_name, "record": str(current), "reason": reason},
    )
    return current


@dataclass
class BulkResult:
    done: list[FiledRecord]
    refused: list[tuple[FiledRecord, ServiceError]]


def decide_many(
    *, actor: User, rows: list[FiledRecord], approve: bool, reason: str = ""
) -> BulkResult:
    """Approve or return several records; each decision is its own transaction, and a refused
    one is reported with its reason while the others go through."""
    result = BulkResult([], [])
    for row in rows:
        try:
            if approve:
                result.done.append(approve_record(actor=actor, row=row))
            else:
                result.done.append(return_record(actor=actor, row=row, reason=reason))
        except ServiceError as error:
            result.refused.append((row, error))
    return result


@transaction.atomic
def add_comment(*, actor: User, row: FiledRecord, text: str) -> Comment:
    model = type(row)
    if not (model.objects.restrict(actor, "view").filter(pk=row.pk).exists()):
        raise NotPermitted(_("You may not comment on this record."), code="not_permitted")
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("Write a comment."), code="required", field="text")
    comment = Comment.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        object_id=row.pk,
        author=actor,
        text=text,
    )
    audit(f"filing.{row.kind}.commented", actor=actor, obj=row, after={"comment": text})
    return comment


def comments_on(row: FiledRecord) -> list[Comment]:
    return list(
        Comment.objects.filter(
            content_type=ContentType.objects.get_for_model(type(row)), object_id=row.pk
        ).select_related("author")
    )


# --- sign-off -----------------------------------------------------------------------------------


def queue_for(period: dt.date, unit: Unit) -> int:
    """Records of the month awaiting review in the unit."""
    return sum(
        model.objects.filter(period=period, status=RecordStatus.SUBMITTED)
        .filter(unit.enterprise_filter("enterprise__"))
        .count()
        for model in RECORD_MODELS.values()
    )


def signed(period: dt.date, unit: Unit) -> bool:
    return SignOff.objects.filter(
        period=period, level=unit.level, division_id=unit.code, status=SignOffStatus.SIGNED
    ).exists()


def unit_state(period: dt.date, unit: Unit) -> str:
    sign_off = SignOff.objects.filter(
        period=period, level=unit.level, division_id=unit.code
    ).first()
    if sign_off is not None and sign_off.status == SignOffStatus.SIGNED:
        return "signed"
    if not hierarchy.expected_reporters(period, unit).exists():
        return "nothing"
    blocked = (
        queue_for(period, unit) > 0
        if unit.level == Level.COUNTY
        else any(not signed(period, c) for c in hierarchy.children(period, unit))
    )
    if sign_off is not None:
        return "reopened"
    return "waiting" if blocked else "ready"


@transaction.atomic
def sign_off(*, actor: User, period: dt.date) -> SignOff:
    """Sign the actor's jurisdiction off for a month: a district when its queue for the month
    is empty; a city, a province or the ministry when every jurisdiction below has signed."""
    unit = hierarchy.unit_of(actor)
    if unit is None:
        raise NotPermitted(_("You do not sign months off."), code="not_permitted")
    period = period.replace(day=1)
    if period > timezone.localdate().replace(day=1):
        raise ServiceError(_("A month is signed off once it has begun."), code="future_month")
    if unit.level == Level.COUNTY:
        waiting = queue_for(period, unit)
        if waiting:
            raise ServiceError(
                _("%(count)d records of %(month)s still await review in your district."),
                code="queue_not_empty",
                params={"count": waiting, "month": f"{period:%Y-%m}"},
            )
    else:
        missing = [c for c in hierarchy.children(period, unit) if not signed(period, c)]
        if missing:
            names = dict(
                Division.objects.filter(code__in=[c.code for c in missing]).values_list(
                    "code", "name_zh"
                )
            )
            raise ServiceError(
                _(
                    "%(month)s cannot be signed off yet: %(count)d jurisdictions below have not "
                    "signed it off (%(names)s)."
                ),
                code="lower_levels_open",
                params={
                    "month": f"{period:%Y-%m}",
                    "count": len(missing),
                    "names": "、".join(names.get(c.code or "", c.code or "") for c in missing[:10]),
                },
            )
    existing = (
        SignOff.objects.select_for_update()
        .filter(period=period, level=unit.level, division_id=unit.code)
        # Not the default ordering: it joins the division, an outer join for the nation,
        # which PostgreSQL refuses to lock (FOR UPDATE on the nullable side of an outer join).
        .order_by("pk")
        .first()
    )
    if existing is not None and existing.status == SignOffStatus.SIGNED:
        raise ServiceError(
            _("%(month)s is already signed off."),
            code="already_signed",
            params={"month": f"{period:%Y-%m}"},
        )
    before = snapshot(existing) if existing else None
    sign = existing or SignOff(period=period, level=unit.level, division_id=unit.code)
    sign.status = SignOffStatus.SIGNED
    sign.signed_by, sign.signed_at = actor, timezone.now()
    sign.save()
    audit("review.period.signed_off", actor=actor, obj=sign, before=before, after=snapshot(sign))
    return sign


@transaction.atomic
def reopen(*, actor: User, period: dt.date, unit: Unit, reason: str) -> list[SignOff]:
    """A higher level reopens a jurisdiction's month, with a reason. Every sign-off between the
    jurisdiction and the actor's own level is reopened too (a city that had signed its districts
    off is no longer complete). Refused while a level above the actor has signed."""
    own = hierarchy.unit_of(actor)
    period = period.replace(day=1)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(
            _("Say why the month is reopened."), code="reason_required", field="reason"
        )
    chain = hierarchy.chain(unit)
    if own is None or own not in chain or hierarchy.rank(own.level) <= hierarchy.rank(unit.level):
        raise NotPermitted(
            _("Only a higher level over this jurisdiction may reopen it."), code="not_permitted"
        )
    above = [u for u in chain if hierarchy.rank(u.level) > hierarchy.rank(own.level)]
    if any(signed(period, u) for u in above):
        raise ServiceError(
            _("A level above you has signed %(month)s off; ask it to reopen."),
            code="locked_above",
            params={"month": f"{period:%Y-%m}"},
        )
    reopened = []
    for u in chain:
        if hierarchy.rank(u.level) > hierarchy.rank(own.level):
            break
        sign = (
            SignOff.objects.select_for_update()
            .filter(period=period, level=u.level, division_id=u.code, status=SignOffStatus.SIGNED)
            .order_by("pk")  # no join to lock (see sign_off)
            .first()
        )
        if sign is None:
            continue
        before = snapshot(sign)
        sign.status = SignOffStatus.REOPENED
        sign.reopened_by, sign.reopened_at, sign.reopen_reason = actor, timezone.now(), reason
        sign.save()
        audit(
            "review.period.reopened",
            actor=actor,
            obj=sign,
            before=before,
            after=snapshot(sign),
            reason=reason,
        )
        reopened.append(sign)
    if not reopened:
        raise ServiceError(_("This month is not signed off here."), code="not_signed")
    return reopened


# --- messages -----------------------------------------------------------------------------------


def notify(
    recipients: Any, *, kind: str, subject: Any, body: Any, params: dict[str, Any], link: str = ""
) -> int:
    subject_text, body_text = bilingual(subject, params), bilingual(body, params)
    sent = 0
    for user in recipients:
        Message.objects.create(
            recipient=user, kind=kind, subject=subject_text[:200], body=body_text, link=link
        )
        if user.email:
            # Delivery is best effort; the in-app message is the record that counts.
            with override("zh-hans"):
                send_mail(subject_text[:200], body_text, None, [user.email], fail_silently=True)
        sent += 1
    return sent


# --- extensions ---------------------------------------------------------------------------------


@transaction.atomic
def grant_extension(
    *,
    actor: User,
    period: dt.date,
    until: dt.date,
    reason: str,
    enterprise: Any = None,
    division: Division | None = None,
) -> Extension:
    """More time for a month's filing, for one enterprise or a whole district, granted by a
    reviewer whose jurisdiction covers it; recorded with who granted it and why."""
    from soms.registry.models import Enterprise

    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(
            _("Say why the extension is granted."), code="reason_required", field="reason"
        )
    if (enterprise is None) == (division is None):
        raise ServiceError(
            _("An extension is for one enterprise or one district."),
            code="invalid_target",
            field="enterprise",
        )
    period = period.replace(day=1)
    if until < period:
        raise ServiceError(
            _("An extension cannot end before its month begins."), code="date_order", field="until"
        )
    if enterprise is not None:
        if (
            not Enterprise.objects.restrict(actor, "view").filter(pk=enterprise.pk).exists()
            or actor.is_enterprise_user
        ):
            raise NotPermitted(
                _("You may not grant an extension to this enterprise."), code="not_permitted"
            )
    else:
        assert division is not None
        if (
            actor.is_enterprise_user
            or not division.accepts_enterprises
            or not actor.covers(division)
        ):
            raise NotPermitted(
                _("You may not grant an extension to this district."), code="not_permitted"
            )
    extension = Extension.objects.create(
        enterprise=enterprise,
        division=division,
        period=period,
        until=until,
        reason=reason,
        granted_by=actor,
    )
    audit(
        "review.extension.granted",
        actor=actor,
        obj=extension,
        after=snapshot(extension),
        reason=reason,
    )
    return extension
