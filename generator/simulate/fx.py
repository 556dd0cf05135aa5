"""Monthly FX: one market path shared by all tenants (rates are a market fact), exported per
tenant for every pair it uses: currency -> reporting currency and currency -> USD."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from generator.config import CURRENCIES, FX_MONTHLY_VOLATILITY, USD_PER_UNIT
from generator.dates import HISTORY_START, month_date, month_index
from generator.money import money, rate
from generator.rng import np_rng


class FxMarket:
    def __init__(self, seed: int, last_month: date) -> None:
        self.first = month_index(HISTORY_START)
        self.last = month_index(last_month)
        n = self.last - self.first + 1
        rng = np_rng(seed, "fx-market")
        self._usd: dict[str, list[float]] = {}
        for cur in CURRENCIES:
            steps = rng.normal(0.0, FX_MONTHLY_VOLATILITY[cur], size=n)
            steps[0] = 0.0
            # A random walk with mild pull back to the start so 4 years stay plausible.
            level, path = 0.0, []
            for s in steps:
                level = 0.97 * level + s
                path.append(USD_PER_UNIT[cur] * math.exp(level))
            self._usd[cur] = path
        self._cache: dict[tuple[str, str, int], Decimal] = {}

    def _month(self, d: date) -> int:
        return min(max(month_index(d), self.first), self.last) - self.first

    def rate(self, from_cur: str, to_cur: str, on: date) -> Decimal:
        """Units of ``to_cur`` per unit of ``from_cur`` for the month of ``on`` (8 places)."""
        if from_cur == to_cur:
            return Decimal(1)
        key = (from_cur, to_cur, self._month(on))
        if key not in self._cache:
            m = key[2]
            self._cache[key] = rate(self._usd[from_cur][m] / self._usd[to_cur][m])
        return self._cache[key]

    def convert(self, amount: Decimal, from_cur: str, to_cur: str, on: date) -> Decimal:
        return money(amount * self.rate(from_cur, to_cur, on))


def fx_rows(market: FxMarket, tenant_id: str, reporting: str, used: tuple[str, ...],
            as_of: date) -> Iterator[dict[str, Any]]:
    pairs = sorted({(c, reporting) for c in used if c != reporting}
                   | {(c, "USD") for c in used if c != "USD"})
    for m in range(month_index(HISTORY_START), month_index(as_of) + 1):
        month = month_date(m)
        for from_cur, to_cur in pairs:
            yield {"tenant_id": tenant_id, "rate_month": month, "from_currency": from_cur,
                   "to_currency": to_cur, "rate": market.rate(from_cur, to_cur, month)}
