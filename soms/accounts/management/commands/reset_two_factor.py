"""``soms reset_two_factor USERNAME``: remove a user's authenticator (a lost or replaced phone)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from soms.accounts import two_factor
from soms.accounts.choices import Role
from soms.accounts.models import User
from soms.core.context import acting_from
from soms.core.errors import ServiceError


class Command(BaseCommand):
    help = (
        "Reset a user's two-factor sign-in (audited): their authenticator is removed, and they "
        "set up a new one at the next sign-in where it is required."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--by", help="the ministry administrator who ordered the reset (named in the audit)"
        )
        parser.add_argument("--reason", default="", help="why (kept in the audit trail)")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        actor: User | str = "command line"
        if options["by"]:
            found = User.objects.filter(
                username=options["by"], role=Role.MINISTRY_ADMIN, is_active=True
            ).first()
            if found is None:
                raise CommandError(f"No active ministry administrator {options['by']!r}.")
            actor = found
        try:
            with acting_from(None, "cli"):
                removed = two_factor.reset(actor=actor, user=user, reason=options["reason"])
        except ServiceError as error:
            raise CommandError(error.text) from None
        self.stdout.write(
            f"Two-factor sign-in of {user.username} reset ({removed} device(s) removed)."
        )
