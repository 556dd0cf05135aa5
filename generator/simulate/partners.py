"""Monthly partner commission statements from partner-sourced invoicing; a few are wrong."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from generator.dates import add_days, month_date, month_index
from generator.money import money, price
from generator.simulate.context import TenantContext


def emit_settlements(ctx: TenantContext, r: random.Random) -> None:
    market = ctx.world.market
    partners = {p["partner_id"]: p for p in ctx.catalog.partners}
    last_closed = month_date(month_index(ctx.as_of) - 1)
    revenue_by: dict[tuple[str, date], list[tuple[str, Decimal]]] = {}
    for (partner_id, month, cur), amount in sorted(ctx.partner_revenue.items()):
        revenue_by.setdefault((partner_id, month), []).append((cur, amount))
    for (partner_id, month), amounts in revenue_by.items():
        statement = add_days(month_date(month_index(month) + 1), 4)
        if month > last_closed or statement > ctx.as_of:
            continue
        p = partners[partner_id]
        cur = p["currency"]
        revenue = money(sum((market.convert(a, c, cur, month) for c, a in amounts), Decimal(0)))
        pct = p["commission_pct"]
        expected = money(revenue * pct / 100)
        stated_pct, stated = pct, expected
        error = None
        if r.random() < ctx.world.config.settlement_error_rate:
            if r.random() < 0.5:
                error = "wrong_rate"
                stated_pct = price(pct + Decimal(r.choice((-2.5, 2.5, 5))))
                stated_pct = max(stated_pct, Decimal("0.0000"))
                stated = money(revenue * stated_pct / 100)
            else:
                error = "calculation_error"
                stated = money(expected * Decimal(str(round(r.uniform(1.05, 1.25), 2))))
            if stated == expected:
                error = None
        settlement_id = ctx.ids.next("STL")
        settled: date | None = add_days(statement, r.randint(10, 25))
        if error and r.random() < 0.5:
            status, settled = "disputed", None
        elif settled is not None and settled <= ctx.as_of:
            status = "paid"
        else:
            status, settled = ("approved" if r.random() < 0.6 else "pending"), None
        ctx.emit("partner_settlements", {
            "tenant_id": ctx.tenant.id, "settlement_id": settlement_id, "partner_id": partner_id,
            "period_month": month, "currency": cur, "reported_revenue": revenue,
            "commission_pct": stated_pct, "commission_amount": stated, "status": status,
            "settled_date": settled})
        if error:
            ctx.world.truth.settlement_error(
                tenant_id=ctx.tenant.id, settlement_id=settlement_id, partner_id=partner_id,
                period_month=month, error_type=error, expected_commission=expected,
                stated_commission=stated, currency=cur)
