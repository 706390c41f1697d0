"""Review of filed records: comments on a record, period sign-off up the hierarchy, and the
message inbox that carries returns, reminders and deadline notices."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from soms.review.choices import Level, SignOffStatus


class Comment(models.Model):
    """One message of the thread on a record, between the enterprise and its reviewers."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return self.text[:60]


class SignOff(models.Model):
    """A jurisdiction's sign-off of a month. It locks the month's records of the jurisdiction;
    a higher level may reopen it, with a reason."""

    period = models.DateField(_("month"))
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    division = models.ForeignKey(
        "reference.Division",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sign_offs",
        verbose_name=_("jurisdiction"),
    )
    status = models.CharField(_("status"), max_length=10, choices=SignOffStatus.choices)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed off at"), default=timezone.now)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    reopen_reason = models.TextField(_("reason for reopening"), blank=True)

    class Meta:
        verbose_name = _("sign-off")
        verbose_name_plural = _("sign-offs")
        ordering = ["-period", "level", "division"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "level", "division"],
                name="sign_off_unique",
                violation_error_message=_("This jurisdiction's month is already recorded."),
            ),
            models.UniqueConstraint(
                fields=["period"],
                condition=Q(level="nation"),
                name="sign_off_nation_unique",
                violation_error_message=_("The national month is already recorded."),
            ),
            models.CheckConstraint(
                condition=Q(level="nation", division__isnull=True)
                | (~Q(level="nation") & Q(division__isnull=False)),
                name="sign_off_division_by_level",
                violation_error_message=_("Only the national sign-off has no division."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.level} {self.division_id or ''} {self.status}"


class Message(models.Model):
    """An in-app message: a return, a reminder, a deadline notice. Also sent by e-mail."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(_("kind"), max_length=20)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.subject
