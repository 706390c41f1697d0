"""Server-side prepared statements on PostgreSQL, for the few statements a decision runs every
time: planning a statement with several joins costs more than running it, so it is planned once
per connection and executed many times."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any
from weakref import WeakKeyDictionary

from django.db import connection

_prepared: WeakKeyDictionary[Any, set[str]] = WeakKeyDictionary()


def uses_prepared() -> bool:
    return connection.vendor == "postgresql"


def execute_prepared(cursor: Any, sql: str, types: Sequence[str], params: Sequence[Any]) -> None:
    """Run ``sql`` (parameters written $1, $2 …, of the PostgreSQL ``types``) as a prepared
    statement on the current connection, preparing it the first time. A prepared statement
    outlives a rolled-back transaction, so it is prepared once per connection."""
    name = "soms_" + hashlib.sha1(sql.encode(), usedforsecurity=False).hexdigest()[:20]
    raw = connection.connection
    names = _prepared.setdefault(raw, set())
    if name not in names:
        cursor.execute(f"PREPARE {name} ({', '.join(types)}) AS {sql}")
        names.add(name)
    placeholders = ", ".join(["%s"] * len(params))
    cursor.execute(f"EXECUTE {name} ({placeholders})", list(params))
