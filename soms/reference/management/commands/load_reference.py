from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from soms.reference.loaders import LOADERS


class Command(BaseCommand):
    help = (
        "Load (or refresh) the reference data: divisions, regions, countries, currencies, "
        "country groups, catalogue v1, demonstration cities, published national figures. "
        "Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("only", nargs="*", choices=[*LOADERS, []], help="datasets to load")

    def handle(self, *args: Any, **options: Any) -> None:
        for key, loader in LOADERS.items():
            if options["only"] and key not in options["only"]:
                continue
            result = loader()
            self.stdout.write(f"{result.key}: {result.count}")
