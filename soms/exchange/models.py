"""Import jobs: an uploaded file imported in a process of its own, with its progress and its
outcome, so that a large file neither holds a web worker nor loses its state on a page reload."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused (nothing written)")
    FAILED = "failed", _("Failed (nothing written)")


class ImportJob(models.Model):
    kind = models.CharField(_("file kind"), max_length=20)
    file_name = models.CharField(_("file"), max_length=255)
    path = models.CharField(max_length=500)  # the stored upload, under MEDIA_ROOT
    sha256 = models.CharField(max_length=64)
    options = models.JSONField(default=dict)  # dry_run, partial, submit, as_approved
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    pid = models.IntegerField(null=True, blank=True)
    rows_total = models.IntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict)  # rows, created, updated, unchanged, errors
    message = models.TextField(blank=True)
    report = models.CharField(max_length=500, blank=True)  # the error report, under MEDIA_ROOT

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.status})"
