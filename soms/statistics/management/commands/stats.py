"""``soms stats``: the statistics of statistics-rules.md from the command line."""

from __future__ import annotations

import csv
import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from soms.accounts.models import User
from soms.core.errors import ServiceError
from soms.statistics.access import FULL, PUBLIC, access_for
from soms.statistics.engine import compute
from soms.statistics.maintenance import rebuild
from soms.statistics.output import as_json
from soms.statistics.queryparams import build_query, money


class Command(BaseCommand):
    help = "Print statistics as CSV or JSON (the ministry's full view unless --public/--user)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--measure")
        parser.add_argument("--currency", default="CNY")
        parser.add_argument("--from", dest="start")
        parser.add_argument("--to", dest="end")
        parser.add_argument("--by", default="")
        parser.add_argument("--flow")
        parser.add_argument("--where", action="append", default=[])
        who = parser.add_mutually_exclusive_group()
        who.add_argument("--public", action="store_true")
        who.add_argument("--user")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="recompute every fact from the records, then exit",
        )
        parser.add_argument(
            "--warm-public",
            action="store_true",
            help="compute the public statistics page (last month, CNY and USD) into the cache, "
            "then exit; run it from a timer every few minutes in production",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            self.stdout.write(f"{rebuild()} facts rebuilt from the records")
            return
        if options["warm_public"]:
            self._warm_public()
            return
        for required in ("measure", "start", "end"):
            if not options[required]:
                raise CommandError(
                    f"--{ {'start': 'from', 'end': 'to'}.get(required, required) } is required"
                )
        access = FULL
        if options["public"]:
            access = PUBLIC
        elif options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"No active user {options['user']!r}.")
            access = access_for(user)
        try:
            query = build_query(
                measure=options["measure"],
                start=options["start"],
                end=options["end"],
                currency=options["currency"],
                by=options["by"],
                flow=options["flow"],
                where=options["where"],
            )
            result = compute(query, access.scope, public=access.public)
        except ServiceError as error:
            raise CommandError(error.text) from None
        if options["format"] == "json":
            self.stdout.write(
                json.dumps(
                    as_json(result, options["start"], options["end"]), ensure_ascii=False, indent=1
                )
            )
            return
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow([*query.by, "value", "value_prev", "yoy_pct", "flag"])
        for r in result.rows:
            writer.writerow(
                [
                    *(r.keys[d] for d in query.by),
                    money(r.value) or "",
                    money(r.value_prev) or "",
                    money(r.yoy_pct) or "",
                    r.flag or "",
                ]
            )

    def _warm_public(self) -> None:
        """The public page's figures, computed afresh into the cache the web workers share, so
        that no visitor waits for them."""
        from django.contrib.auth.models import AnonymousUser
        from django.test import RequestFactory

        from soms.statistics import versions
        from soms.statistics.views import dashboard_context

        with versions.refreshing():
            for currency in ("CNY", "USD"):
                request = RequestFactory().get("/statistics/public/", {"currency": currency})
                request.user = AnonymousUser()
                started = time.perf_counter()
                dashboard_context(request, PUBLIC)
                seconds = time.perf_counter() - started
                self.stdout.write(f"public statistics in {currency}: {seconds:.1f} s")
