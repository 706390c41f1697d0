"""Uploads are limited by size and by what the file is, not by what it claims to be: the name's
extension must be one the field accepts and the first bytes must be those of that kind (a PDF
named .csv, or an executable named .xlsx, is refused before anything reads it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    extensions: tuple[str, ...]
    magic: tuple[bytes, ...] = ()  # the file starts with one of these; () = text
    text: bool = False


CSV = Kind((".csv", ".txt"), text=True)
XLSX = Kind((".xlsx",), (b"PK\x03\x04",))
PDF = Kind((".pdf",), (b"%PDF-",))
JPEG = Kind((".jpg", ".jpeg"), (b"\xff\xd8\xff",))
PNG = Kind((".png",), (b"\x89PNG\r\n\x1a\n",))
TABLES = (CSV, XLSX)
SCANS = (PDF, JPEG, PNG)


def _looks_like(head: bytes, kind: Kind) -> bool:
    if kind.text:
        return b"\x00" not in head  # a text file (UTF-8, GB18030) has no NUL byte
    return head.startswith(kind.magic)


class LimitedFileField(forms.FileField):
    """A file of one of ``kinds``, at most ``max_mb`` megabytes (SOMS_UPLOAD_MAX_MB)."""

    def __init__(
        self, *args: Any, kinds: tuple[Kind, ...], max_mb: int | None = None, **kwargs: Any
    ) -> None:
        self.kinds = kinds
        self.max_mb = max_mb
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault(
            "accept", ",".join(ext for kind in kinds for ext in kind.extensions)
        )

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if not isinstance(upload, UploadedFile):
            return upload
        limit = (self.max_mb or settings.SOMS_UPLOAD_MAX_MB) << 20
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s MB; the most accepted is %(limit)s MB."),
                code="too_large",
                params={"size": f"{upload.size / (1 << 20):,.1f}", "limit": limit >> 20},
            )
        extension = Path(upload.name or "").suffix.lower()
        kind = next((k for k in self.kinds if extension in k.extensions), None)
        allowed = ", ".join(ext for k in self.kinds for ext in k.extensions)
        if kind is None:
            raise forms.ValidationError(
                _("Only %(allowed)s files are accepted here."),
                code="wrong_type",
                params={"allowed": allowed},
            )
        head = upload.read(8192)
        upload.seek(0)
        if not _looks_like(head, kind):
            raise forms.ValidationError(
                _("The file's content is not that of a %(extension)s file."),
                code="wrong_content",
                params={"extension": extension},
            )
        return upload
