"""The append-only, tamper-evident audit trail.

Every state change writes one :class:`AuditEvent` in the same transaction (see
:func:`soms.audit.services.record`). Events form a hash chain: each event's ``hash`` covers its
content and the previous event's hash, so an edited, removed or reordered event breaks the chain
from that point on (``soms audit_verify``). The database refuses UPDATE (and on PostgreSQL DELETE)
on the table with a trigger, so not even a bug in this code can rewrite history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("The audit trail is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The audit trail is append-only.")

    def for_object(self, obj: models.Model) -> AuditQuerySet:
        return self.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
        )


class AuditChainHead(models.Model):
    """The chain's last link. Its row lock serialises writers so the chain stays linear."""

    last_sequence = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"#{self.last_sequence} {self.last_hash[:12]}"


class AuditEvent(models.Model):
    """Who did what to which object, when, from where, with the values before and after."""

    sequence = models.BigIntegerField(_("sequence"), unique=True)
    occurred_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # Users are deactivated, never deleted; DO_NOTHING keeps the trail untouched regardless.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=16, default="system")
    action = models.CharField(_("action"), max_length=80, db_index=True)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    object_id = models.CharField(_("object"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=300)
    before = models.JSONField(_("before"), null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), null=True, blank=True, encoder=DjangoJSONEncoder)
    reason = models.TextField(_("reason"), blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-sequence"]
        indexes = [models.Index(fields=["content_type", "object_id", "sequence"])]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The audit trail is append-only.")

    def canonical(self) -> bytes:
        """The bytes the hash covers: every field but the hash itself."""
        content = {
            "sequence": self.sequence,
            "occurred_at": self.occurred_at.astimezone(dt.UTC).isoformat(),
            "actor": self.actor_id,
            "actor_name": self.actor_name,
            "ip_address": self.ip_address,
            "channel": self.channel,
            "action": self.action,
            "content_type": self.content_type_id,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(
            content, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder
        ).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()

    @property
    def changes(self) -> list[tuple[str, Any, Any]]:
        """(field, before, after) for every field whose value changed."""
        before, after = self.before or {}, self.after or {}
        return [
            (key, before.get(key), after.get(key))
            for key in sorted(set(before) | set(after))
            if before.get(key) != after.get(key)
        ]
