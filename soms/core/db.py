"""Server-side prepared statements on PostgreSQL, for the few statements a decision runs every
time: planning a statement with several joins costs more than running it, so it is planned once
per connection and executed many times."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote
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


def database_url() -> str:
    """The URL of the database this process uses now (in tests, the test database), for a
    process it starts."""
    settings_dict = connection.settings_dict
    name = settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    user = quote(str(settings_dict.get("USER") or ""))
    password = quote(str(settings_dict.get("PASSWORD") or ""))
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(str(name))}"
