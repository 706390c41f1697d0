"""Monthly conversion rates for the demo: invented, but in the ranges the real ones moved in.

Contracts in foreign currencies are converted with the month's rate, so a demo without rates
cannot show statistics. The values wander around the 2023-2025 levels (the dollar between 6.9
and 7.3 yuan, the Hong Kong dollar pegged to it) and are the same for the same seed.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from soms.demo.planning import random_stream
from soms.reference.models import ExchangeRate
from soms.reference.services import save_rates

RATES_FROM = dt.date(2023, 1, 1)
RATES_SOURCE = "SOMS demo: invented rates, not official / 演示数据，非官方汇率"


@dataclass(frozen=True)
class Wander:
    """Yuan per unit: a slow swing around ``base`` plus monthly noise, kept within bounds."""

    base: float
    swing: float
    noise: float
    low: float
    high: float
    places: int


CURRENCIES = {
    "USD": Wander(7.10, 0.12, 0.02, 6.90, 7.30, 4),
    "EUR": Wander(7.80, 0.22, 0.05, 7.40, 8.30, 4),
    "JPY": Wander(0.0490, 0.0020, 0.0004, 0.0455, 0.0540, 6),
    "GBP": Wander(9.10, 0.25, 0.06, 8.60, 9.70, 4),
    "SGD": Wander(5.32, 0.08, 0.02, 5.15, 5.50, 4),
    "KRW": Wander(0.00530, 0.00015, 0.00003, 0.00500, 0.00560, 6),
}
# The Hong Kong dollar is pegged to the US dollar at 7.75-7.85.
HKD_PEG = (7.78, 7.84)
SWING_MONTHS = 30


def months(until: dt.date) -> list[dt.date]:
    """First days of the months from :data:`RATES_FROM` to ``until``'s month."""
    result, month = [], RATES_FROM
    while month <= until:
        result.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return result


def demo_rates(seed: int, until: dt.date) -> list[tuple[dt.date, str, Decimal]]:
    """Every month's rate for every demo currency. A month's values depend only on the months
    before it, so a later build adds months without changing earlier ones."""
    rng = random_stream(seed, "rates")
    phases = {code: rng.uniform(0, 2 * math.pi) for code in CURRENCIES}
    rates: list[tuple[dt.date, str, Decimal]] = []
    for index, month in enumerate(months(until)):
        values: dict[str, float] = {}
        for code, wander in CURRENCIES.items():
            value = (
                wander.base
                + wander.swing * math.sin(2 * math.pi * index / SWING_MONTHS + phases[code])
                + rng.gauss(0, wander.noise)
            )
            values[code] = min(wander.high, max(wander.low, value))
            rates.append((month, code, round(Decimal(values[code]), wander.places)))
        hkd = values["USD"] / rng.uniform(*HKD_PEG)
        rates.append((month, "HKD", round(Decimal(hkd), 4)))
    return rates


def write_rates(seed: int, until: dt.date) -> int:
    """Save the demo rates for the months that have none, through the reference service (so
    the audit trail shows them); rates already there, perhaps official ones, are kept."""
    existing = set(ExchangeRate.objects.values_list("month", "currency_id"))
    missing = [r for r in demo_rates(seed, until) if (r[0], r[1]) not in existing]
    created, _updated = save_rates(actor="demo", rates=missing, source=RATES_SOURCE)
    return created
