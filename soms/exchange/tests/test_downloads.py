"""The list pages' download buttons give the exchange files of what the caller may see."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from soms.exchange.tests.test_exports import filed  # noqa: F401 (fixture)
from soms.registry.models import Enterprise

pytestmark = pytest.mark.django_db


def test_a_filer_downloads_its_own_records(
    tmp_path: Path,
    filed: tuple[Enterprise, Any],  # noqa: F811
) -> None:
    firm, filer = filed
    client = Client()
    client.force_login(filer)
    page = client.get("/filing/contract/")
    assert b'data-testid="export-csv"' in page.content
    response = client.get("/exchange/export/contracts.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="soms-contracts-')
    lines = response.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 3 and all(line.startswith(firm.uscc) for line in lines[1:])
    response = client.get("/exchange/export/executions.xlsx", {"month": "2026-10"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "uscc" and len(rows) == 3
    assert {row[0] for row in rows[1:]} == {firm.uscc}
    refused = client.get("/exchange/export/executions.csv", {"month": "October"})
    assert refused.status_code == 400 and " / " in refused.content.decode()
    assert client.get("/exchange/export/colours.csv").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in() -> None:
    response = Client().get("/exchange/export/contracts.csv")
    assert response.status_code == 302 and "/accounts/login" in response["Location"]
