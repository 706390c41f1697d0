"""``soms backup`` and ``soms restore``: the database and the uploaded files in one archive.

The archive is a tar file holding ``manifest.json`` (format, engine, time, the last migration of
each app, the row count of every table), the database in its engine's own form — PostgreSQL's
``pg_dump --format=custom`` (consistent while the application runs), SQLite's online backup —
and ``media/`` (import uploads, error reports, generated bulletins).

A restore goes into an empty database of the same engine (``--force`` replaces a non-empty one)
as a whole or not at all: ``pg_restore --single-transaction``, or a complete SQLite file moved
into place; then the row counts are checked against the manifest. Moving between engines is not
a backup's job (``soms export`` / ``soms import`` are).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup or restore that cannot be done; nothing was changed."""


@dataclass
class Target:
    """A database to restore into: the configured one, or another given by its settings."""

    engine: str  # "postgresql" or "sqlite"
    settings: dict[str, Any]

    @classmethod
    def configured(cls, alias: str = "default") -> Target:
        db = connections[alias].settings_dict
        return cls(_engine(db["ENGINE"]), dict(db))


def _engine(django_engine: str) -> str:
    if "postgresql" in django_engine:
        return "postgresql"
    if "sqlite3" in django_engine:
        return "sqlite"
    raise BackupError(f"Backups cover PostgreSQL and SQLite, not {django_engine}.")


def _pg_args(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = []
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return [*args, "--dbname", str(db["NAME"])], env


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is needed (Debian: postgresql-client).")
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-1000:]}")


def table_counts() -> dict[str, int]:
    """Rows of every table the application's models own (the manifest's check)."""
    counts = {}
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if model._meta.proxy or not model._meta.managed or table not in existing:
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            (counts[table],) = cursor.fetchone() or (0,)
    return counts


def _migrations() -> dict[str, str]:
    last: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        last[app] = max(name, last.get(app, ""))
    return last


def backup(path: Path) -> dict[str, Any]:
    """Write the archive to ``path`` (written aside and moved into place when complete)."""
    target = Target.configured()
    manifest = {
        "format": FORMAT,
        "engine": target.engine,
        "created_at": timezone.now().isoformat(),
        "migrations": _migrations(),
        "counts": table_counts(),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as work:
        dump = Path(work) / (
            "database.pgdump" if target.engine == "postgresql" else "database.sqlite3"
        )
        if target.engine == "postgresql":
            args, env = _pg_args(target.settings)
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    *args,
                    "--file",
                    str(dump),
                ],
                env,
            )
        else:
            connection.ensure_connection()
            destination = sqlite3.connect(dump)
            try:
                connection.connection.backup(destination)  # consistent while others write
            finally:
                destination.close()
        partial = Path(work) / "archive.tar"
        with tarfile.open(partial, "w") as archive:
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(dt.datetime.now().timestamp())
            archive.addfile(info, io.BytesIO(data))
            archive.add(dump, arcname=dump.name)
            media = Path(settings.MEDIA_ROOT)
            if media.is_dir():
                archive.add(media, arcname="media")
        partial.replace(path)
    return manifest


def _is_empty(target: Target) -> bool:
    """No application table holds a row (a freshly created database has no tables at all)."""
    if target.engine == "sqlite":
        name = Path(target.settings["NAME"])
        if not name.exists() or name.stat().st_size == 0:
            return True
        with sqlite3.connect(name) as lite:
            query = "SELECT name FROM sqlite_master WHERE type='table'"
            tables = [r[0] for r in lite.execute(query)]
            return all(
                lite.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] == 0  # noqa: S608
                for t in tables
                if not t.startswith("sqlite_") and t != "django_migrations"
            )
    import psycopg

    db = target.settings
    with psycopg.connect(
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        dbname=db["NAME"],
    ) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        ]
        return all(
            conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{t}")').fetchone() == (False,)  # noqa: S608
            for t in tables
            if t != "django_migrations"
        )


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        with tarfile.open(path) as archive:
            member = archive.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            manifest: dict[str, Any] = json.loads(member.read())
    except (tarfile.TarError, KeyError, json.JSONDecodeError, OSError) as error:
        raise BackupError(f"{path} is not a SOMS backup: {error}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} has backup format {manifest.get('format')}, not {FORMAT}.")
    return manifest


def restore(path: Path, target: Target | None = None, force: bool = False) -> dict[str, Any]:
    """Restore the archive into ``target`` (the configured database by default)."""
    path = Path(path)
    manifest = read_manifest(path)
    target = target or Target.configured()
    if manifest["engine"] != target.engine:
        raise BackupError(
            f"The backup is of a {manifest['engine']} database; the target is {target.engine}."
        )
    if not force and not _is_empty(target):
        raise BackupError("The target database is not empty: restore with --force to replace it.")
    with tempfile.TemporaryDirectory() as work, tarfile.open(path) as archive:
        archive.extractall(work, filter="data")
        if target.engine == "postgresql":
            args, env = _pg_args(target.settings)
            _run(
                [
                    "pg_restore",
                    "--single-transaction",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    *args,
                    str(Path(work) / "database.pgdump"),
                ],
                env,
            )
        else:
            name = Path(target.settings["NAME"])
            name.parent.mkdir(parents=True, exist_ok=True)
            staged = name.with_suffix(".restoring")
            shutil.copyfile(Path(work) / "database.sqlite3", staged)
            staged.replace(name)  # whole or not at all
        media = Path(work) / "media"
        if media.is_dir():
            shutil.copytree(media, Path(settings.MEDIA_ROOT), dirs_exist_ok=True)
    return manifest
