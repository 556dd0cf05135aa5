"""Stock replenishment and housekeeping that belong to no customer: quarterly orders of
consumables, their use on installs (adjustments), cycle-count corrections and write-offs.
Stock of each consumable is tracked so it never goes below zero."""

from __future__ import annotations

import random
from datetime import date

from generator.dates import HISTORY_START, add_days, month_date, month_index
from generator.simulate.context import TenantContext
from generator.simulate.devices import movement, purchase

_CONSUMABLES = ("mounting", "cables", "psu")


def run_inventory(ctx: TenantContext, r: random.Random) -> None:
    scale = max(1, ctx.tenant.customers // 100)
    for key in _CONSUMABLES:
        item = ctx.catalog.items[key]
        stock = 0
        # Orders count in full on their last delivery day: never more than is really there.
        arrivals: list[tuple[date, int]] = []
        for m in range(month_index(HISTORY_START), month_index(ctx.as_of) + 1):
            month = month_date(m)
            if (m - month_index(HISTORY_START)) % 3 == 0:
                qty = r.randint(60, 200) * scale
                done = purchase(ctx, r, key, qty, add_days(month, r.randint(0, 10)), None,
                                late_p=0.15, partial_p=0.1, reject_p=0.04, stuck_p=0.0)
                if done is not None:
                    arrivals.append((done, qty))

            found_day, loss_day, use_day = (add_days(month, d) for d in (13, 19, 26))
            if r.random() < 0.15 and found_day <= ctx.as_of:  # cycle count finds a few
                stock += _arrived_by(arrivals, found_day)
                found = r.randint(1, 5)
                movement(ctx, item.id, "adjustment", found, found_day, 43200, None)
                stock += found
            if r.random() < 0.05 and loss_day <= ctx.as_of:
                stock += _arrived_by(arrivals, loss_day)
                lost = min(stock, r.randint(1, 5))
                movement(ctx, item.id, "write_off", -lost, loss_day, 50000, None)
                stock -= lost
            if use_day <= ctx.as_of:  # consumed on installs during the month
                stock += _arrived_by(arrivals, use_day)
                used = min(stock, r.randint(10, 50) * scale)
                movement(ctx, item.id, "adjustment", -used, use_day, r.randint(30000, 60000),
                         None)
                stock -= used


def _arrived_by(arrivals: list[tuple[date, int]], day: date) -> int:
    """Units of orders completed on or before ``day``; they leave the pending list."""
    got = sum(q for when, q in arrivals if when <= day)
    arrivals[:] = [(when, q) for when, q in arrivals if when > day]
    return got
