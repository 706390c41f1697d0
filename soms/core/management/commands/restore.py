from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from soms.core.backup import BackupError, restore, table_counts


class Command(BaseCommand):
    help = (
        "Restore an archive of `soms backup` into the configured database, which must be empty "
        "(or --force); whole or not at all, then checked against the archive's row counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--force", action="store_true", help="replace a database that is not empty"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        connections.close_all()  # SQLite: the file is replaced under us
        try:
            manifest = restore(options["archive"], force=options["force"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        connections.close_all()
        counts = table_counts()
        different = {
            table: (rows, counts.get(table))
            for table, rows in manifest["counts"].items()
            if counts.get(table) != rows
        }
        if different:
            raise CommandError(f"Restored, but the row counts differ from the backup: {different}")
        self.stdout.write(
            f"Restored {options['archive']} ({manifest['created_at']}): "
            f"{len(counts)} tables, {sum(counts.values())} rows, as in the backup."
        )
