"""``soms import KIND FILE``: the exchange files of exchange-format.md."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext_lazy as _

from soms.accounts.models import User
from soms.core.context import acting_from
from soms.core.errors import ServiceError, bilingual
from soms.core.imports import IMPORTERS, load_importers
from soms.core.tabular import FileError


class Command(BaseCommand):
    help = "Import an exchange file (CSV or XLSX). All-or-nothing unless --partial."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind")
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="validate, write nothing")
        parser.add_argument("--partial", action="store_true", help="write the valid rows")
        parser.add_argument("--submit", action="store_true", help="submit the records for review")
        parser.add_argument(
            "--as-approved",
            action="store_true",
            help="history already approved (the ministry administrator only; audited)",
        )
        parser.add_argument("--user", help="act as this user (checks their permissions)")

    def _progress(self, rows: int) -> None:
        """A progress line on the terminal (stderr, so that stdout stays the summary)."""
        if rows % 100 == 0:
            self.stderr.write(f"\r{rows} rows read", ending="")
            self.stderr.flush()
            self._shown = True

    def _end_progress(self) -> None:
        if getattr(self, "_shown", False):
            self.stderr.write("")

    def handle(self, *args: Any, **options: Any) -> None:
        load_importers()
        kind = options["kind"]
        if kind not in IMPORTERS:
            raise CommandError(
                f"Unknown kind {kind!r}; this installation imports: {', '.join(sorted(IMPORTERS))}"
            )
        importer_class = IMPORTERS[kind]
        chosen = {name for name in ("submit", "as_approved") if options[name]}
        refused = chosen - importer_class.options
        if refused:
            flags = ", ".join(f"--{name.replace('_', '-')}" for name in sorted(refused))
            raise CommandError(f"{flags} does not apply to {kind}.")
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"No active user {options['user']!r}.")
        try:
            with acting_from(None, "cli"):
                importer = importer_class(**{name: True for name in chosen})
                result = importer.run(
                    options["file"],
                    actor=actor or "command line",
                    dry_run=options["dry_run"],
                    partial=options["partial"],
                    progress=self._progress,
                )
            self._end_progress()
        except (FileError, ServiceError, FileNotFoundError) as error:
            raise CommandError(str(error)) from None
        for row_error in result.errors:
            self.stderr.write(str(row_error))
        if result.error_count > len(result.errors):
            more = result.error_count - len(result.errors)
            self.stderr.write(
                bilingual(_("… and %(count)s more errors, not listed."), {"count": f"{more:,}"})
            )
        summary = (
            f"{result.rows} rows: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.error_count} errors"
        )
        if not result.written:
            summary += " — nothing written" + (" (dry run)" if options["dry_run"] else "")
        self.stdout.write(summary)
        if result.errors and not options["partial"]:
            raise CommandError(bilingual(_("The file has errors; nothing was written.")))
