from typing import Any

from django.core.management.base import CommandParser

from soms.audit.management.commands.audit_verify import Command as Verify


class Command(Verify):
    help = "The audit trail: `soms audit verify` recomputes the hash chain (as `audit_verify`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        super().handle(*args, **options)
