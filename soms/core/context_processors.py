from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def soms(request: HttpRequest) -> dict[str, Any]:
    return {"SOMS_TITLE": settings.SOMS_TITLE, "SOMS_ENV": settings.SOMS_ENV}
