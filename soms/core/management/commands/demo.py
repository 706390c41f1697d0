"""``soms demo [--seed N]``: build the demo dataset and print its logins."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from soms.demo import DEFAULT_COUNT, DEFAULT_SEED, build, calibration, demo_exists, login_table
from soms.reference.loaders import load_all
from soms.reference.models import Division


class Command(BaseCommand):
    help = (
        "Build a demo dataset (enterprises, officials, certificates, rates) from a seed, "
        "through the service functions. Safe to run again: an existing demo is left as it is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"the same seed gives the same dataset (default {DEFAULT_SEED})",
        )
        parser.add_argument(
            "--count",
            type=int,
            default=DEFAULT_COUNT,
            help=f"number of enterprises (default {DEFAULT_COUNT})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if demo_exists():
            self.stdout.write("The demo already exists; nothing was changed.")
        else:
            # The demo places enterprises in real districts: it needs the reference data.
            if not Division.objects.exists():
                self.stdout.write("Loading the reference data first...")
                load_all()
            started = time.monotonic()
            try:
                report = build(seed=options["seed"], count=options["count"])
            except ValueError as error:
                raise CommandError(str(error)) from None
            cal = calibration()
            states = ", ".join(f"{state} {n}" for state, n in sorted(report.states.items()))
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo built from seed {report.seed} in {time.monotonic() - started:.1f} s: "
                    f"{report.enterprises} enterprises ({states}), {report.certifications} "
                    f"certificates, {report.users} users, {report.rates} exchange rates."
                )
            )
            self.stdout.write(
                f"Calibrated on the published figures: {cal.employees_per_enterprise:.0f} "
                f"employees per enterprise ({cal.employees_year})."
            )
        self.stdout.write("")
        self.stdout.write(login_table())
