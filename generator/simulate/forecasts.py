"""Monthly bookings and revenue forecasts per segment, drawn around the simulated actuals.

Actual revenue here is the simulation's own view (recurring fees spread over the months they
cover, usage when consumed, one-time and milestone fees when due), in reporting currency;
sales forecasts bookings with a wider, optimistic error than finance forecasts revenue.
"""

from __future__ import annotations

import math
import random

from generator.config import SEGMENTS
from generator.dates import HISTORY_START, add_days, month_date, month_index
from generator.money import money
from generator.simulate.context import TenantContext
from generator.simulate.lifecycle import CustomerLife

_HORIZON_MONTHS = 2
_ERROR = {"bookings": (0.05, 0.25), "revenue": (0.0, 0.05)}  # (bias, sigma) of log error


def record_actuals(ctx: TenantContext, life: CustomerLife) -> None:
    seg = life.customer.segment
    last = month_index(ctx.as_of) + _HORIZON_MONTHS
    for term in life.terms:
        cur = term.currency
        if month_index(term.signed) <= last:
            ctx.add_actual(term.signed, "bookings", seg, term.mrr_on(term.start) * 12, cur)
        for amd in term.amendments:
            if amd.mrr_delta > 0 and month_index(amd.signed) <= last:
                ctx.add_actual(amd.signed, "bookings", seg, amd.mrr_delta * 12, cur)
        for line in term.lines:
            if line.model == "recurring":
                value = line.monthly_value
                for m in range(month_index(line.start), min(month_index(line.end), last + 1)):
                    ctx.add_actual(month_date(m), "revenue", seg, value, cur)
            elif line.model == "usage" and line.usage_months is not None:
                for m, q in zip(line.usage_months.tolist(), line.usage_totals.tolist()):
                    if m <= last:
                        amount = q / 10_000 * float(line.unit_price)
                        ctx.add_actual(month_date(m), "revenue", seg, amount, cur)
            elif line.model == "one_time" and month_index(line.start) <= last:
                ctx.add_actual(line.start, "revenue", seg, line.quantity * line.unit_price, cur)
            elif (line.model == "milestone" and line.milestone_done
                  and month_index(line.milestone_done) <= last):
                ctx.add_actual(line.milestone_done, "revenue", seg, line.unit_price, cur)


def emit_forecasts(ctx: TenantContext, r: random.Random) -> None:
    for m in range(month_index(HISTORY_START), month_index(ctx.as_of) + _HORIZON_MONTHS + 1):
        month = month_date(m)
        submitted = add_days(month_date(m - 1), 24)
        if submitted > ctx.as_of:
            continue
        for metric in ("bookings", "revenue"):
            bias, sigma = _ERROR[metric]
            for seg in SEGMENTS:
                actual = ctx.actual(month, metric, seg)
                factor = math.exp(r.gauss(bias, sigma))
                ctx.emit("forecasts", {
                    "tenant_id": ctx.tenant.id, "forecast_id": ctx.ids.next("FCT"),
                    "forecast_month": month, "metric": metric, "segment": seg,
                    "amount": money(max(actual, 0.0) * factor),
                    "currency": ctx.tenant.reporting_currency, "submitted_date": submitted})
