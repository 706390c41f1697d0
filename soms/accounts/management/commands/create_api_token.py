from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from soms.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Issue an API bearer token for a user; the token is shown once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("name", help="what the token is for")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['username']!r}.")
        _token, key = ApiToken.issue(user, options["name"])
        self.stdout.write(key)
