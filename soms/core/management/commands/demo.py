"""``soms demo [--seed N] [--count N] [--months N]``: build the demo dataset, print its logins."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from soms.demo import (
    DEFAULT_COUNT,
    DEFAULT_MONTHS,
    DEFAULT_SEED,
    build,
    calibration,
    login_table,
    needs_build,
)
from soms.reference.loaders import load_all
from soms.reference.models import Division


class Command(BaseCommand):
    help = (
        "Build a demo dataset (enterprises, officials, certificates, rates, and months of "
        "contracts, executions and workforce reports with their review and sign-off) from a "
        "seed, through the service functions. Safe to run again: an existing demo is left as it "
        "is (one built without filings gets them)."
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
        parser.add_argument(
            "--months",
            type=int,
            default=DEFAULT_MONTHS,
            help=(
                "whole months of filings before the current one, which is filed up to today "
                f"(default {DEFAULT_MONTHS}; 0 for no filings)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        months = options["months"]
        if months < 0:
            raise CommandError("--months cannot be negative.")
        if not needs_build(months):
            self.stdout.write("The demo already exists; nothing was changed.")
        else:
            # The demo places enterprises in real districts: it needs the reference data.
            if not Division.objects.exists():
                self.stdout.write("Loading the reference data first...")
                load_all()
            started = time.monotonic()
            try:
                report = build(seed=options["seed"], count=options["count"], months=months)
            except ValueError as error:
                raise CommandError(str(error)) from None
            elapsed = time.monotonic() - started
            cal = calibration()
            if report.created:
                states = ", ".join(f"{state} {n}" for state, n in sorted(report.states.items()))
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Demo built from seed {report.seed} in {elapsed:.1f} s: "
                        f"{report.enterprises} enterprises ({states}), {report.certifications} "
                        f"certificates, {report.users} users, {report.rates} exchange rates."
                    )
                )
            else:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"The demo existed; its filings were added in {elapsed:.1f} s."
                    )
                )
            if report.filings is not None:
                self.stdout.write(f"Filings: {report.filings.summary()}.")
            if report.releases:
                self.stdout.write(f"Releases published: {report.releases} (see /open-data/).")
            if report.targets or report.evaluated:
                self.stdout.write(
                    f"Policy targets: {report.targets}; cities in the evaluation round: "
                    f"{report.evaluated} (see /policy/ and /evaluation/)."
                )
            self.stdout.write(
                f"Calibrated on the published figures: {cal.employees_per_enterprise:.0f} "
                f"employees per enterprise ({cal.employees_year}), "
                f"{cal.offshore_share:.0%} offshore ({cal.offshore_year})."
            )
        self.stdout.write("")
        self.stdout.write(login_table())
