"""The ``rates`` file of exchange-format.md: month, currency, cny_per_unit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from soms.accounts.models import User
from soms.core.imports import ImportResult, ParsedImporter, register
from soms.core.tabular import (
    CellError,
    Column,
    Row,
    RowError,
    parse_decimal,
    parse_month,
    parse_text,
)
from soms.reference.models import Currency, ExchangeRate
from soms.reference.services import require_reference_editor, save_rates

RATE_COLUMNS = [
    Column("month", "月份"),
    Column("currency", "币种"),
    Column("cny_per_unit", "人民币汇率"),
]


def _fits_rate_field(value: Decimal) -> bool:
    field = ExchangeRate._meta.get_field("cny_per_unit")
    exponent = value.normalize().as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return places <= field.decimal_places and abs(value) < Decimal(10) ** (
        field.max_digits - field.decimal_places
    )


@register("rates")
class RatesImporter(ParsedImporter):
    columns = RATE_COLUMNS

    def __init__(self) -> None:
        self.currencies = set(Currency.objects.values_list("code", flat=True))
        self.seen: dict[tuple[dt.date, str], int] = {}

    def parse(self, row: Row) -> tuple[dt.date, str, Decimal] | None:
        values: dict[str, Any] = {}
        for column, parser in (
            ("month", parse_month),
            ("currency", parse_text),
            ("cny_per_unit", parse_decimal),
        ):
            raw = row.values.get(column, "")
            try:
                values[column] = parser(raw)
            except CellError as error:
                row.errors.append(RowError(row.number, column, str(raw), str(error)))
        if row.errors:
            return None
        currency = values["currency"].upper()
        if currency not in self.currencies:
            row.errors.append(
                RowError(
                    row.number,
                    "currency",
                    currency,
                    str(
                        CellError(
                            _("“%(value)s” is not an ISO 4217 currency code."), {"value": currency}
                        )
                    ),
                )
            )
        if values["cny_per_unit"] <= 0:
            row.errors.append(
                RowError(
                    row.number,
                    "cny_per_unit",
                    str(values["cny_per_unit"]),
                    str(CellError(_("A rate must be greater than zero."))),
                )
            )
        elif not _fits_rate_field(values["cny_per_unit"]):
            # Stored as it is or not at all: rounding would be a guess, and a rounded rate
            # would differ from the file's on every later import of the same file.
            field = ExchangeRate._meta.get_field("cny_per_unit")
            row.errors.append(
                RowError(
                    row.number,
                    "cny_per_unit",
                    str(values["cny_per_unit"]),
                    str(
                        CellError(
                            _(
                                "A rate has at most %(places)d decimal places and %(digits)d "
                                "digits before the point."
                            ),
                            {
                                "places": field.decimal_places,
                                "digits": field.max_digits - field.decimal_places,
                            },
                        )
                    ),
                )
            )
        key = (values["month"], currency)
        if key in self.seen:
            row.errors.append(
                RowError(
                    row.number,
                    "currency",
                    currency,
                    str(
                        CellError(
                            _("The same month and currency already stand in row %(row)d."),
                            {"row": self.seen[key]},
                        )
                    ),
                )
            )
        self.seen.setdefault(key, row.number)
        return None if row.errors else (values["month"], currency, values["cny_per_unit"])

    def check_actor(self, actor: Any) -> None:
        if isinstance(actor, User):
            require_reference_editor(actor)

    def write(self, parsed: list[Any], actor: Any, path: Path) -> ImportResult:
        with transaction.atomic():
            created, updated = save_rates(actor=actor, rates=parsed, source=f"import {path.name}")
        return ImportResult(
            created=created, updated=updated, unchanged=len(parsed) - created - updated
        )
