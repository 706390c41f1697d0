"""Currency conversion at the month's rate (statistics-rules.md, "Money and currency")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from soms.reference.models import ExchangeRate


class MissingRate(LookupError):
    def __init__(self, currency: str, month: dt.date) -> None:
        self.currency, self.month = currency, month
        super().__init__(f"no rate for {currency} in {month:%Y-%m}")


def cny_per_unit(currency: str, month: dt.date) -> Decimal:
    """Yuan for one unit of ``currency`` in ``month``; the yuan itself is 1."""
    if currency == "CNY":
        return Decimal(1)
    rate = (
        ExchangeRate.objects.filter(currency_id=currency, month=month.replace(day=1))
        .values_list("cny_per_unit", flat=True)
        .first()
    )
    if rate is None:
        raise MissingRate(currency, month)
    return rate


def to_cny(amount: Decimal, currency: str, day: dt.date) -> Decimal:
    """Full precision; rounding happens once, on the final figure."""
    return amount * cny_per_unit(currency, day)
