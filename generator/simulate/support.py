"""Support tickets: volume and escalations follow the customer's latent health."""

from __future__ import annotations

import math
import random
from datetime import timedelta
from typing import Any

from generator.config import SEGMENTS
from generator.dates import add_months, at, first_on_or_after, month_date, month_index
from generator.rng import poisson, weighted
from generator.simulate.context import TenantContext
from generator.simulate.lifecycle import CustomerLife, sigmoid
from generator.simulate.model import Term, Ticket

_PRIORITY = {"low": 0.25, "normal": 0.5, "high": 0.18, "urgent": 0.07}
_FIRST_RESPONSE_MIN = {"urgent": (5, 60), "high": (15, 240), "normal": (60, 1440),
                       "low": (240, 4320)}


def simulate_tickets(ctx: TenantContext, life: CustomerLife, term: Term, health: float,
                     r: random.Random) -> None:
    c = life.customer
    base = SEGMENTS[c.segment].tickets_per_month * math.exp(-0.45 * health)
    if c.device_customer:
        base *= 1.3
    start = term.signed if term.contract_type == "new" else term.start
    onboarding_until = add_months(term.activated, 3)
    for m in range(month_index(first_on_or_after(start)) - 1, month_index(term.end)):
        month = month_date(m)
        onboarding = month < onboarding_until and term.contract_type == "new"
        for _ in range(poisson(r, base * (2.0 if onboarding else 1.0))):
            opened = at(month, r.randint(0, 28 * 86400 - 1) + r.randint(0, 2 * 86400))
            if opened.date() < start or opened.date() >= term.end:
                continue
            life.tickets.append(_ticket(ctx, term, health, onboarding, opened, r))


def _ticket(ctx: TenantContext, term: Term, health: float, onboarding: bool, opened,
            r: random.Random) -> Ticket:
    priority = weighted(r, _PRIORITY)
    categories = {"technical": 0.4, "billing": 0.15, "account": 0.15,
                  "onboarding": 0.5 if onboarding else 0.03,
                  "device": 0.25 if term.devices else 0.0}
    severe = priority in ("high", "urgent")
    escalated = r.random() < sigmoid(-3.2 - 0.9 * health + (1.0 if severe else 0.0))
    first = opened + timedelta(minutes=r.randint(*_FIRST_RESPONSE_MIN[priority]))
    hours = r.uniform(24, 480) if escalated else r.expovariate(1 / 30)
    resolved = first + timedelta(seconds=int(3600 * max(hours, 0.2)))
    csat = None
    if r.random() < 0.45:
        score = 4.3 - 1.1 * escalated + 0.35 * health + r.gauss(0, 0.7)
        csat = int(min(5, max(1, round(score))))
    return Ticket(id=ctx.ids.next("TCK"), opened=opened, first_response=first,
                  resolved=resolved, priority=priority, category=weighted(r, categories),
                  escalated=escalated, csat=csat,
                  contract_id=term.id if r.random() < 0.85 else None)


def ticket_row(ctx: TenantContext, life: CustomerLife, t: Ticket) -> dict[str, Any] | None:
    end = ctx.world.as_of_end
    if t.opened >= end:
        return None
    responded = t.first_response if t.first_response and t.first_response < end else None
    resolved = t.resolved if t.resolved and t.resolved < end else None
    if resolved is None:
        status = "pending" if responded and t.id[-1] in "02468" else "open"
    else:
        status = "closed" if (end - resolved).days > 7 else "resolved"
    return {"tenant_id": ctx.tenant.id, "ticket_id": t.id, "customer_id": life.customer.id,
            "contract_id": t.contract_id, "opened_at": t.opened, "first_response_at": responded,
            "resolved_at": resolved, "priority": t.priority, "category": t.category,
            "status": status, "is_escalated": t.escalated,
            "csat_score": t.csat if resolved is not None else None}
