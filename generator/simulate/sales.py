"""CRM opportunities: new business (won, lost or open), renewals and expansions.

Renewal opportunities carry the *proposed* renewal value, so a price uplift is visible in the
CRM before the customer decides.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from generator.config import SEGMENTS
from generator.dates import HISTORY_START, add_days
from generator.money import money
from generator.simulate.context import TenantContext
from generator.simulate.lifecycle import CustomerLife, RenewalPlan
from generator.simulate.model import Opportunity, Term

_OPEN_PROBABILITY = {"prospecting": 10, "qualification": 20, "proposal": 40, "negotiation": 65}


def term_opportunity(ctx: TenantContext, life: CustomerLife, term: Term, r: random.Random) -> None:
    """The deal that closed the term (most contracts have one; some renewals are silent)."""
    if term.contract_type == "renewal" and (term.auto_renew and r.random() < 0.4):
        return
    if term.contract_type == "new" and r.random() < 0.04:
        return
    seg = SEGMENTS[life.customer.segment]
    created = add_days(term.signed, -r.randint(*seg.sales_cycle_days)) \
        if term.contract_type == "new" else add_days(term.renewed_from.end, -r.randint(90, 120))  # type: ignore[union-attr]
    opp = Opportunity("new_business" if term.contract_type == "new" else "renewal", created,
                      term.signed, "won", money(term.mrr_on(term.start) * 12))
    if term.contract_type == "new" and r.random() < 0.08:  # an earlier attempt was lost
        lost_close = add_days(created, -r.randint(60, 300))
        life.opportunities.append(Opportunity(
            "new_business", add_days(lost_close, -r.randint(*seg.sales_cycle_days)), lost_close,
            "lost", money(opp.amount * Decimal("1.2"))))
    life.opportunities.append(opp)
    term.opportunity_id = _assign_id(ctx, opp)


def renewal_opportunity(ctx: TenantContext, life: CustomerLife, term: Term, plan: RenewalPlan,
                        r: random.Random) -> None:
    """Open ~90-120 days before the end with the proposed value; lost when the customer churns.

    A renewal signed by as_of is recorded by the renewal contract's own opportunity instead.
    """
    if plan.outcome != "churned" and plan.signed <= ctx.as_of:
        return
    uplift_pct = plan.proposed_uplift_pct
    current = term.mrr_on(add_days(term.end, -1))
    life.opportunities.append(Opportunity(
        "renewal", add_days(term.end, -r.randint(90, 120)), term.end,
        "lost" if term.outcome == "churned" else "pending",
        money(current * 12 * Decimal(str(1 + uplift_pct / 100)))))


def prospect_opportunities(ctx: TenantContext, life: CustomerLife, r: random.Random) -> None:
    seg = SEGMENTS[life.customer.segment]
    for _ in range(r.randint(1, 2)):
        created = add_days(HISTORY_START, r.randint(0, (ctx.as_of - HISTORY_START).days))
        close = add_days(created, r.randint(*seg.sales_cycle_days))
        amount = ctx.catalog.local(seg.seats[0] * 59 * 12 * r.uniform(1, 4), life.customer.currency)
        life.opportunities.append(Opportunity("new_business", created, close, "lost",
                                              money(amount)))


def _assign_id(ctx: TenantContext, opp: Opportunity) -> str:
    opp.id = ctx.ids.next("OPP")
    return opp.id


def opportunity_rows(ctx: TenantContext, life: CustomerLife,
                     r: random.Random) -> list[dict[str, Any]]:
    as_of = ctx.as_of
    c = life.customer
    owner = ctx.person("owner", r)
    rows = []
    for opp in life.opportunities:
        created = opp.created
        if created > as_of:
            continue
        opp_id = opp.id or _assign_id(ctx, opp)
        close = opp.close
        if close <= as_of and opp.outcome != "pending":
            stage = "closed_won" if opp.outcome == "won" else "closed_lost"
            probability = 100 if stage == "closed_won" else 0
        else:
            days_left = (close - as_of).days
            stage = ("negotiation" if days_left < 30 else "proposal" if days_left < 60
                     else "qualification" if (as_of - created).days > 14 else "prospecting")
            probability = _OPEN_PROBABILITY[stage]
            close = max(close, add_days(as_of, 1))
        rows.append({"tenant_id": ctx.tenant.id, "opportunity_id": opp_id, "customer_id": c.id,
                     "partner_id": c.partner_id, "opportunity_type": opp.kind,
                     "stage": stage, "amount": opp.amount, "currency": c.currency,
                     "probability_pct": probability, "created_date": created,
                     "close_date": close, "owner": owner})
    return rows
