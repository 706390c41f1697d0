from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from soms.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database and the uploaded files into one archive (see soms.core.backup)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="the archive to write (default: var/backups/soms-<time>.tar)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output = options["output"] or Path("var/backups") / (
            f"soms-{timezone.now():%Y%m%dT%H%M%SZ}.tar"
        )
        try:
            manifest = backup(output)
        except BackupError as error:
            raise CommandError(str(error)) from None
        rows = sum(manifest["counts"].values())
        self.stdout.write(
            f"{output}: {manifest['engine']} database, {len(manifest['counts'])} tables, "
            f"{rows} rows, and the uploaded files."
        )
