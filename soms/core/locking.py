"""Optimistic concurrency for reviewed objects.

A decision names the ``lock_version`` it was made on. The service locks the row for its
transaction (``SELECT … FOR UPDATE``: a second decision waits for the first to commit) and refuses
a stale version, so two reviewers acting at once cannot both have an effect.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.utils.functional import Promise

from soms.core.errors import ConflictError

M = TypeVar("M", bound=models.Model)


def lock_current(
    row: M, expected_version: int | None, message: str | Promise, queryset: Any = None
) -> M:
    """The row as it is now, locked until the transaction ends; ``ConflictError`` when it
    changed since the caller read ``expected_version``."""
    source = queryset if queryset is not None else type(row)._default_manager
    current: M = source.select_for_update().get(pk=row.pk)
    if expected_version is not None and getattr(current, "lock_version") != expected_version:  # noqa: B009
        raise ConflictError(message, code="conflict")
    return current
