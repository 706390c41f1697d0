"""Database helpers. Server-side prepared statements on PostgreSQL, for the few statements a
decision runs every time: planning a statement with several joins costs more than running it, so
it is planned once per connection and executed many times. Many rows inserted at once."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote
from weakref import WeakKeyDictionary

from django.db import connection
from django.db.models import Model

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


_PLAIN = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "DateField",
        "DecimalField",
        "ForeignKey",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)


def insert_many(objs: Sequence[Model]) -> None:
    """Insert unsaved rows of one model, setting their primary keys, as ``bulk_create`` does:
    on PostgreSQL by ``COPY`` with keys taken from the table's sequence first, several times
    faster for the thousands of rows a bulk import writes at once."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, batch_size=1000)
        return
    meta = model._meta
    table, pk = meta.db_table, meta.pk
    assert pk is not None
    fields = [f for f in meta.concrete_fields if f is not pk]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(table), pk.column, len(objs)],
        )
        for obj, (key,) in zip(objs, cursor.fetchall(), strict=True):
            setattr(obj, pk.attname, key)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in [pk, *fields])
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        # Values psycopg takes as they are; the others (JSON …) prepared by their field.
        plain = [f.get_internal_type() in _PLAIN for f in fields]
        with raw.copy(f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row(
                    [obj.pk]
                    + [
                        getattr(obj, f.attname)
                        if is_plain
                        else f.get_db_prep_save(f.pre_save(obj, True), connection=connection)
                        for f, is_plain in zip(fields, plain, strict=True)
                    ]
                )
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias
