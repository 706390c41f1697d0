"""``soms run_import_job ID``: the process an uploaded file is imported in (started by the
upload page; run it again by hand to retry a failed job)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from soms.core.context import acting_from
from soms.exchange import jobs


class Command(BaseCommand):
    help = "Import the file of an import job (the upload page starts this)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        with acting_from(None, "import job"):
            job = jobs.run(options["job"])
        self.stdout.write(f"job {job.pk}: {job.status} {job.result} {job.message}")
