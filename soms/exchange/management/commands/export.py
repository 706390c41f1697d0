"""``soms export KIND FILE``: the exchange files of exchange-format.md, for import elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from soms.accounts.models import User
from soms.core.errors import ServiceError
from soms.exchange.exports import EXPORTS, write


class Command(BaseCommand):
    help = "Export records as CSV (UTF-8) or XLSX, in the columns the import takes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(EXPORTS))
        parser.add_argument("file")
        parser.add_argument("--format", choices=["csv", "xlsx"], default=None)
        parser.add_argument("--where", action="append", default=[], help="FIELD=VALUE")
        parser.add_argument("--user", help="export what this user may see")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        fmt = options["format"] or ("xlsx" if path.suffix.lower() == ".xlsx" else "csv")
        where: dict[str, str] = {}
        for clause in options["where"]:
            field, sep, value = clause.partition("=")
            if not sep:
                raise CommandError(f"A filter is written FIELD=VALUE, not {clause!r}.")
            where[field.strip()] = value.strip()
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"No active user {options['user']!r}.")
        try:
            count = write(options["kind"], path, actor=actor, where=where, fmt=fmt)
        except ServiceError as error:
            raise CommandError(error.text) from None
        self.stdout.write(f"{count} rows written to {path}")
