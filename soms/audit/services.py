"""Writing and checking the audit trail."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_ipv46_address
from django.db import connection, models
from django.utils import timezone

from soms.audit.models import AuditChainHead, AuditEvent
from soms.core.context import current_channel, current_ip
from soms.core.db import insert_many


def _plain(value: Any) -> Any:
    """JSON-native form, so the stored value hashes the same after a round trip."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete field values of ``obj`` (foreign keys as their ids)."""
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if field.name in ("password",):
            continue
        value = field.value_from_object(obj)
        if isinstance(field, models.FileField):
            value = value.name or ""  # the stored file's name, not the file
        values[field.name] = value
    return _plain(values)


def _stored_ip(value: str | None) -> str | None:
    """The address in the form the database gives back (IPv6 compressed, lower case), so the
    hash computed here matches the event as it is read again by :func:`verify_chain`."""
    if not value:
        return None
    try:
        address = AuditEvent._meta.get_field("ip_address").to_python(value)
        validate_ipv46_address(address)
    except ValidationError:
        return None  # not an address the column could hold: record the event without it
    return address


@dataclass(frozen=True)
class Entry:
    """One event to append: what was done, to which object, with its states and reason."""

    action: str
    obj: models.Model
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: str = ""


def record(
    action: str,
    *,
    actor: Any,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event. Must run inside the transaction of the change it records, so the
    change and its event are written together or not at all."""
    return record_many([Entry(action, obj, before, after, reason)], actor=actor)[0]


def record_many(entries: list[Entry], *, actor: Any) -> list[AuditEvent]:
    """Append events in order, each chained to the one before, in one write (a bulk import
    records every record it creates). Same transaction rule as :func:`record`."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must be called inside the change's transaction")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    actor_name = (actor.get_username() if is_user else str(actor or "system"))[:150]
    ip_address, channel, now = _stored_ip(current_ip.get()), current_channel.get(), timezone.now()
    events = []
    for entry in entries:
        event = AuditEvent(
            sequence=head.last_sequence + 1,
            occurred_at=now,
            actor=actor if is_user else None,
            actor_name=actor_name,
            ip_address=ip_address,
            channel=channel,
            action=entry.action,
            content_type=ContentType.objects.get_for_model(entry.obj),
            object_id=str(entry.obj.pk),
            object_repr=str(entry.obj)[:300],
            before=_plain(entry.before),
            after=_plain(entry.after),
            reason=entry.reason,
            prev_hash=head.last_hash,
        )
        event.hash = event.compute_hash()
        head.last_sequence, head.last_hash = event.sequence, event.hash
        events.append(event)
    if len(events) == 1:
        events[0].save()
    else:
        insert_many(events)
    head.save(update_fields=["last_sequence", "last_hash"])
    return events


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken: int | None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_broken is None


def verify_chain() -> ChainReport:
    """Recompute every link; report the first event whose content or position was altered."""
    prev_hash = "0" * 64
    expected_sequence = 1
    checked = 0
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000):
        if event.sequence != expected_sequence:
            return ChainReport(checked, event.sequence, "sequence gap: an event was removed")
        if event.prev_hash != prev_hash:
            return ChainReport(checked, event.sequence, "link broken: previous event altered")
        if event.compute_hash() != event.hash:
            return ChainReport(checked, event.sequence, "content altered")
        prev_hash = event.hash
        expected_sequence += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_sequence != checked:
        return ChainReport(checked, checked + 1, "events missing at the end of the chain")
    return ChainReport(checked, None)
