"""Uploads are refused by size, by extension and by content before anything reads them."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from soms.core.uploads import SCANS, TABLES, LimitedFileField

XLSX_HEAD = b"PK\x03\x04" + b"\x00" * 60


@pytest.mark.parametrize(
    ("name", "content", "kinds", "code"),
    [
        ("rates.csv", b"month,currency,cny_per_unit\n", TABLES, None),
        ("rates.xlsx", XLSX_HEAD, TABLES, None),
        ("rates.exe", b"MZ\x90\x00", TABLES, "wrong_type"),
        ("rates.xlsx", b"%PDF-1.7\n", TABLES, "wrong_content"),
        ("rates.csv", b"MZ\x90\x00\x03\x00", TABLES, "wrong_content"),
        ("scan.pdf", b"%PDF-1.4\n", SCANS, None),
        ("scan.png", b"\x89PNG\r\n\x1a\n...", SCANS, None),
        ("scan.jpg", b"<html>", SCANS, "wrong_content"),
        ("scan.csv", b"a,b\n", SCANS, "wrong_type"),
    ],
)
def test_a_file_is_what_its_name_says(
    name: str, content: bytes, kinds: tuple, code: str | None
) -> None:
    field = LimitedFileField(kinds=kinds)
    upload = SimpleUploadedFile(name, content)
    if code is None:
        assert field.clean(upload) is upload
        assert upload.read() == content  # left at its start for the reader
        return
    with pytest.raises(Exception) as refused:
        field.clean(upload)
    assert refused.value.code == code  # type: ignore[attr-defined]


@override_settings(SOMS_UPLOAD_MAX_MB=1)
def test_a_file_over_the_limit_is_refused() -> None:
    field = LimitedFileField(kinds=TABLES)
    with pytest.raises(Exception) as refused:
        field.clean(SimpleUploadedFile("big.csv", b"x" * ((1 << 20) + 1)))
    assert refused.value.code == "too_large"  # type: ignore[attr-defined]
    assert field.clean(SimpleUploadedFile("ok.csv", b"x" * (1 << 20)))
