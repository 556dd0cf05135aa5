"""One tenant's world, simulated customer by customer and streamed to the writers."""

from __future__ import annotations

import random

import numpy as np

from generator.dates import add_days, epoch_seconds, month_index
from generator.money import money
from generator.rng import np_rng, py_rng
from generator.simulate import names
from generator.simulate.approvals import request_approval
from generator.simulate.billing import bill_customer
from generator.simulate.catalog import build_catalog
from generator.simulate.collections import settle
from generator.simulate.context import Tenant, TenantContext, World
from generator.simulate.devices import roll_out
from generator.simulate.forecasts import emit_forecasts, record_actuals
from generator.simulate.fx import fx_rows
from generator.simulate.inventory import run_inventory
from generator.simulate.lifecycle import (
    CustomerLife,
    decide_renewal,
    make_customer,
    meter_term,
    new_term,
    simulate_amendments,
    usage_growth,
)
from generator.simulate.partners import emit_settlements
from generator.simulate.projects import project_rows, start_project
from generator.simulate.records import contract_value, customer_row, emit_contracts
from generator.simulate.sales import (
    opportunity_rows,
    prospect_opportunities,
    renewal_opportunity,
    term_opportunity,
)
from generator.simulate.silent_errors import drift_prices, spike_meters
from generator.simulate.support import simulate_tickets, ticket_row
from generator.simulate.tenants import tenant_row
from generator.simulate.usage import EventBatch, UsageBuffer, draw_events

_ROLES = {"requester": 6, "approver": 3, "executive": 2, "manager": 5, "owner": 8}


def simulate_tenant(world: World, tenant: Tenant, usage: UsageBuffer) -> None:
    r = py_rng(world.seed, tenant.index, "tenant")
    catalog = build_catalog(tenant.id, tenant.currencies, tenant.reporting_currency,
                            tenant.customers, r)
    people = {role: [names.handle(names.person(r)) for _ in range(n)]
              for role, n in _ROLES.items()}
    ctx = TenantContext(world, tenant, catalog, people)
    ctx.emit("tenants", tenant_row(tenant))
    used = tuple(sorted(set(tenant.currencies) | {"USD"}))
    for row in fx_rows(world.market, tenant.id, tenant.reporting_currency, used, world.as_of):
        ctx.emit("fx_rates", row)
    for entity, rows in catalog.rows.items():
        for row in rows:
            ctx.emit(entity, row)
    for i in range(tenant.customers):
        simulate_customer(ctx, i, usage)
        if (i + 1) % 5000 == 0:
            world.progress(f"{tenant.id}: {i + 1:,} of {tenant.customers:,} customers")
    run_inventory(ctx, py_rng(world.seed, tenant.index, "inventory"))
    emit_settlements(ctx, py_rng(world.seed, tenant.index, "settlements"))
    emit_forecasts(ctx, py_rng(world.seed, tenant.index, "forecasts"))


def simulate_customer(ctx: TenantContext, index: int, usage: UsageBuffer) -> None:
    seed, t = ctx.seed, ctx.tenant.index
    r = py_rng(seed, t, "customer", index)
    life = CustomerLife(make_customer(ctx, r, index))
    r_sales = py_rng(seed, t, "sales", index)
    if life.customer.prospect:
        prospect_opportunities(ctx, life, r_sales)
    else:
        _contract_chain(ctx, life, r, r_sales, py_rng(seed, t, "support", index),
                        np_rng(seed, t, "usage", index))
        _record_renewals(ctx, life)
        rates = ctx.world.config.errors
        drift_prices(life, ctx.as_of, rates.price_drift, rates.price_drift_range,
                     py_rng(seed, t, "price-drift", index))
        spike_meters(life, ctx.as_of, rates.usage_spike, rates.usage_spike_factor,
                     py_rng(seed, t, "usage-spikes", index))
    ctx.emit("customers", customer_row(ctx, life))
    for row in opportunity_rows(ctx, life, r_sales):
        ctx.emit("opportunities", row)
    emit_contracts(ctx, life)
    _contract_approvals(ctx, life, py_rng(seed, t, "approvals", index))
    for project in life.projects:
        if project.term.signed <= ctx.as_of:
            head, milestones = project_rows(ctx, life, project)
            ctx.emit("implementation_projects", head)
            for row in milestones:
                ctx.emit("milestones", row)
    for ticket in life.tickets:
        row = ticket_row(ctx, life, ticket)
        if row is not None:
            ctx.emit("support_tickets", row)
    _emit_usage(ctx, life, usage, np_rng(seed, t, "usage-events", index))
    invoices = bill_customer(ctx, life, py_rng(seed, t, "billing", index))
    settle(ctx, life, invoices, py_rng(seed, t, "collections", index))
    record_actuals(ctx, life)


def _contract_chain(ctx: TenantContext, life: CustomerLife, r: random.Random,
                    r_sales: random.Random, r_support: random.Random,
                    nr: np.random.Generator) -> None:
    as_of = ctx.as_of
    c = life.customer
    signed, prev, plan = c.first_signed, None, None
    health = c.health
    while True:
        term = new_term(ctx, life, r, signed, prev, plan)
        life.terms.append(term)
        if prev is not None:
            prev.renewal = term
        term_opportunity(ctx, life, term, r_sales)
        if prev is None:
            project = start_project(ctx, life, term, r)
            if term.devices:
                roll_out(ctx, life, term, project, py_rng(ctx.seed, ctx.tenant.index,
                                                          "devices", c.index, len(life.terms)))
        health = 0.7 * health + r.gauss(0, 0.6)  # the customer's mood drifts term by term
        simulate_amendments(ctx, life, term, health, r)
        scale = plan.seat_factor if plan is not None and plan.outcome == "contracted" else 1.0
        meter_term(ctx, life, term, usage_growth(health, r), nr, scale)
        simulate_tickets(ctx, life, term, health, r_support)
        plan = decide_renewal(ctx, life, term, r)
        renewal_opportunity(ctx, life, term, plan, r_sales)
        if plan.outcome == "churned":
            signed = add_days(term.end, r.randint(180, 540))
            if r.random() >= ctx.world.config.churn.reactivation or signed > add_days(as_of, -20):
                return
            prev, plan = None, None
            continue
        if plan.signed > as_of:
            return
        prev, signed = term, plan.signed


def _record_renewals(ctx: TenantContext, life: CustomerLife) -> None:
    """Ground truth for every decided contract end, including ones after as_of (observed=false)."""
    for term in life.terms:
        if term.renewal_record is None:
            continue
        renewal = term.renewal
        ctx.world.truth.renewal(
            tenant_id=ctx.tenant.id, contract_id=term.id, customer_id=life.customer.id,
            segment=life.customer.segment, renewal_date=term.end,
            observed=term.end <= ctx.as_of,
            renewal_contract_id=renewal.id if renewal and renewal.signed <= ctx.as_of else None,
            **term.renewal_record)


def _contract_approvals(ctx: TenantContext, life: CustomerLife, r: random.Random) -> None:
    for term in life.terms:
        if term.signed > ctx.as_of:
            continue
        discounted = max((ln.discount_pct for ln in term.lines), default=0)
        value = contract_value(term)
        if discounted >= 15:
            request_approval(ctx, r, "discount", term.id, add_days(term.signed, -r.randint(2, 10)),
                             money(value * discounted / 100), term.currency,
                             escalate_p=0.3 if discounted >= 25 else 0.1, reject_p=0.06)
        if value >= ctx.catalog.local(150_000, term.currency):
            request_approval(ctx, r, "contract", term.id, add_days(term.signed, -r.randint(1, 5)),
                             value, term.currency, escalate_p=0.4)


def _emit_usage(ctx: TenantContext, life: CustomerLife, usage: UsageBuffer,
                nr: np.random.Generator) -> None:
    last_month = month_index(ctx.as_of)
    end_s = epoch_seconds(ctx.as_of) + 86400
    per_month = ctx.world.config.usage_events_per_line_month * {
        "smb": 0.7, "mid_market": 1.0, "enterprise": 1.6}[life.customer.segment]
    for term in life.terms:
        for line in term.lines:
            if line.model != "usage" or line.usage_months is None or line.created_on > ctx.as_of:
                continue
            keep = line.usage_months <= last_month
            if not keep.any():
                continue
            qty, occurred, ingested = draw_events(nr, line.usage_months[keep],
                                                  line.metered[keep],
                                                  line.product.spec.metric, per_month, end_s)
            if qty.size == 0:
                continue
            first = ctx.ids.advance("usage-event", qty.size)
            usage.add(EventBatch(ctx.tenant.id, line.id, life.customer.id,
                                 line.product.spec.metric, first, qty, occurred, ingested))
