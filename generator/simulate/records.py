"""As-of rows for customers, contracts, amendments and line items.

The simulation knows the future; these functions export only what was signed on or before
``as_of`` and show each object in the state it had on that day.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from generator.money import money
from generator.simulate.context import TenantContext
from generator.simulate.lifecycle import CustomerLife
from generator.simulate.model import Line, Term


def customer_row(ctx: TenantContext, life: CustomerLife) -> dict[str, Any]:
    c = life.customer
    return {"tenant_id": ctx.tenant.id, "customer_id": c.id, "customer_name": c.name,
            "segment": c.segment, "region": c.region, "industry": c.industry,
            "country_code": c.country, "billing_currency": c.currency,
            "partner_id": c.partner_id, "created_at": c.created_at}


def contract_value(term: Term) -> Decimal:
    """Committed value as signed: recurring fees over the term plus one-time and milestones."""
    total = Decimal(0)
    for line in term.lines:
        if line.amendment_id is not None:
            continue
        if line.model == "recurring":
            total += line.monthly_value * term.months
        elif line.model in ("one_time", "milestone"):
            total += line.quantity * line.unit_price
    return money(total)


def contract_status(ctx: TenantContext, term: Term) -> str:
    as_of = ctx.as_of
    if term.activated > as_of:
        return "signed"
    if as_of < term.end:
        return "active"
    if term.renewal is not None and term.renewal.signed <= as_of:
        return "renewed"
    return "expired"


def contract_row(ctx: TenantContext, term: Term) -> dict[str, Any]:
    return {"tenant_id": ctx.tenant.id, "contract_id": term.id, "customer_id": term.customer.id,
            "opportunity_id": term.opportunity_id, "partner_id": term.partner_id,
            "renewed_from_contract_id": term.renewed_from.id if term.renewed_from else None,
            "contract_type": term.contract_type, "status": contract_status(ctx, term),
            "signed_date": term.signed,
            "service_activated_date": term.activated if term.activated <= ctx.as_of else None,
            "start_date": term.start, "end_date": term.end, "term_months": term.months,
            "billing_frequency": term.frequency, "payment_terms_days": term.payment_terms,
            "currency": term.currency, "total_contract_value": contract_value(term),
            "auto_renew": term.auto_renew}


def line_row(ctx: TenantContext, line: Line) -> dict[str, Any]:
    return {"tenant_id": ctx.tenant.id, "line_item_id": line.id, "contract_id": line.term.id,
            "customer_id": line.term.customer.id, "product_id": line.product.id,
            "price_id": line.price_id, "amendment_id": line.amendment_id,
            "billing_model": line.model, "billing_period": line.period,
            "quantity": line.quantity, "unit_price": line.billed_unit_price,
            "discount_pct": line.discount_pct, "currency": line.term.currency,
            "start_date": line.start, "end_date": line.end_as_of(ctx.as_of),
            "bundle_id": line.bundle_id}


def emit_contracts(ctx: TenantContext, life: CustomerLife) -> None:
    as_of = ctx.as_of
    for term in life.terms:
        if term.signed > as_of:
            continue
        ctx.emit("contracts", contract_row(ctx, term))
        for amd in term.amendments:
            if amd.signed <= as_of:
                ctx.emit("contract_amendments", {
                    "tenant_id": ctx.tenant.id, "amendment_id": amd.id, "contract_id": term.id,
                    "amendment_type": amd.kind, "signed_date": amd.signed,
                    "effective_date": amd.effective, "mrr_delta": amd.mrr_delta,
                    "description": amd.description})
        for line in term.lines:
            if line.created_on <= as_of:
                ctx.emit("subscription_line_items", line_row(ctx, line))
