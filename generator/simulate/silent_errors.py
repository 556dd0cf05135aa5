"""Billing errors the rule-based checks cannot see, because they sit in what the rules take as
the reference (the billing system's line item, the metered usage):

- price drift: the billing system's copy of a recurring line item carries a unit price 10-40 %
  above or below the agreed one (the contract's price, the price book entry it names); every
  invoice of the line follows it, so each invoice line equals its line item;
- usage spike: a meter fault inflates one month of a usage line x3 to x8; the events exist
  and the invoice bills them, so the invoice equals the metering. API calls are left alone:
  their true trend is the renewal driver the ground truth states as recomputable from the
  exported events.

Both are decided on their own random streams after the customer's life is simulated and before
anything is exported, and they change only what the billing system holds (the line item's
price, the metered totals), so every other draw, and every row that does not depend on the
affected line items, stays the same. Billing labels each affected invoice line (billing.py).
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from generator.dates import month_date
from generator.money import money, price
from generator.simulate.lifecycle import CustomerLife
from generator.simulate.usage import RESOLUTION

SPIKE_METRICS = ("storage_gb", "messages", "device_hours")


def drift_prices(life: CustomerLife, as_of: date, rate: float, spread: tuple[float, float],
                 r: random.Random) -> None:
    """Give some exported recurring line items a billing price off the agreed one."""
    low, high = spread
    for term in life.terms:
        for line in term.lines:
            if line.model != "recurring" or line.created_on > as_of or r.random() >= rate:
                continue
            sign = 1 if r.random() < 0.5 else -1
            factor = Decimal(str(round(1 + sign * r.uniform(low, high), 4)))
            line.billing_unit_price = price(money(line.unit_price * factor))


def spike_meters(life: CustomerLife, as_of: date, rate: float, factors: tuple[float, float],
                 r: random.Random) -> None:
    """Inflate some billed months (due by ``as_of``) of storage, messages and device-hours
    lines, as a faulty meter would record them."""
    for term in life.terms:
        for line in term.lines:
            metric = line.product.spec.metric
            if (line.model != "usage" or metric not in SPIKE_METRICS
                    or line.usage_months is None or line.created_on > as_of):
                continue
            metered = line.usage_totals.copy()
            res = RESOLUTION[metric]
            for i, (month, total) in enumerate(zip(line.usage_months.tolist(), metered.tolist())):
                if total <= 0 or month_date(month + 1) > as_of or r.random() >= rate:
                    continue
                metered[i] = round(total * r.uniform(*factors) / res) * res
            if (metered != line.usage_totals).any():
                line.metered_totals = metered
