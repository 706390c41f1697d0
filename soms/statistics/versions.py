"""Public figures, reused while the data they count is unchanged.

A public query sums every enterprise's part of every cell (disclosure control needs them), which
at national scale reads a million facts. Its result is kept in the cache under the query and the
statistics version (:class:`~soms.statistics.models.Version`, changed by every decision that
changes a figure), and reused while the version holds, or while it is younger than
``SOMS_PUBLIC_STATISTICS_MAX_AGE`` seconds: public figures then trail the decisions by at most
that long, while officials' figures (from the rollups) are current at once.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

from soms.statistics.models import Version

T = TypeVar("T")
VERSION = 1
_refreshing: ContextVar[bool] = ContextVar("soms_statistics_refreshing", default=False)


@contextmanager
def refreshing() -> Iterator[None]:
    """Compute afresh (and keep) whatever is asked inside, however young the kept figures."""
    marker = _refreshing.set(True)
    try:
        yield
    finally:
        _refreshing.reset(marker)


def bump() -> None:
    """A new token (in the caller's transaction)."""
    token = uuid.uuid4().hex
    if not Version.objects.filter(pk=VERSION).update(token=token):
        Version.objects.bulk_create([Version(pk=VERSION, token=token)], ignore_conflicts=True)
        Version.objects.filter(pk=VERSION).update(token=token)


def current() -> str:
    return Version.objects.filter(pk=VERSION).values_list("token", flat=True).first() or ""


def reuse(key: str, compute: Callable[[], T]) -> T:
    """``compute()``, or its result for ``key`` while the version holds (or is young enough)."""
    token = current()
    name = "soms:statistics:public:" + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()
    kept = cache.get(name)
    max_age = getattr(settings, "SOMS_PUBLIC_STATISTICS_MAX_AGE", 0)
    if kept is not None and not _refreshing.get():
        kept_token, kept_at, result = kept
        if kept_token == token or time.time() - kept_at < max_age:
            return result  # type: ignore[no-any-return]
    result = compute()
    cache.set(name, (token, time.time(), result), timeout=24 * 3600)
    return result
