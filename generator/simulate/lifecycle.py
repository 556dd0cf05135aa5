"""A customer's commercial life: first contract, activation, amendments, renewals or churn.

The renewal decision at each contract end is a logistic function of what the exported data
shows before it: escalated tickets, the usage trend, activation lag and go-live slip (first
renewal only), and price increases (mid-term price changes plus the proposed uplift visible in
the renewal opportunity). Its probability and drivers go to ``renewal_outcomes.csv``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import numpy as np

from generator.config import (
    COUNTRIES,
    DEVICE_INDUSTRIES,
    INDUSTRIES,
    REGION,
    SEGMENTS,
    Segment,
)
from generator.dates import (
    HISTORY_START,
    add_days,
    add_months,
    at,
    first_on_or_after,
    month_index,
)
from generator.money import money, price
from generator.rng import weighted
from generator.simulate import names
from generator.simulate.catalog import ADD_ONS, TIERS
from generator.simulate.context import TenantContext
from generator.simulate.model import (
    Amendment,
    Customer,
    Line,
    Opportunity,
    Project,
    Term,
    Ticket,
)
from generator.simulate.usage import PER_UNIT_MONTH, month_span, monthly_totals

ONE = Decimal(1)


@dataclass
class RenewalPlan:
    outcome: str  # renewed / contracted / churned
    signed: date
    uplift_pct: float  # applied to the renewal's prices
    proposed_uplift_pct: float  # quoted in the renewal opportunity before the decision
    seat_factor: float
    drop_add_ons: bool


@dataclass
class CustomerLife:
    customer: Customer
    terms: list[Term] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    opportunities: list[Opportunity] = field(default_factory=list)
    usage_level: dict[str, float] = field(default_factory=dict)
    api_usage: dict[int, int] = field(default_factory=dict)  # month -> api calls (10^-4)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def make_customer(ctx: TenantContext, r: random.Random, index: int) -> Customer:
    cfg = ctx.world.config
    tenant = ctx.tenant
    segment = weighted(r, {k: s.share for k, s in SEGMENTS.items()})
    others = [c for c in tenant.currencies if c != tenant.reporting_currency]
    currency = tenant.reporting_currency if (r.random() < 0.75 or not others) else r.choice(others)
    country = weighted(r, COUNTRIES[currency])
    industry = r.choice(INDUSTRIES)
    partner = r.choice(ctx.catalog.partners)["partner_id"] if (
        r.random() < cfg.partner_sourced_share) else None
    span = (ctx.as_of - HISTORY_START).days - 20
    first_signed = add_days(HISTORY_START, int(span * r.random() ** 0.8))
    cycle = r.randint(*SEGMENTS[segment].sales_cycle_days)
    created = at(add_days(first_signed, -cycle - r.randint(1, 20)), r.randint(8 * 3600, 18 * 3600))
    return Customer(
        index=index, id=ctx.ids.next("CUS"), name=names.company(r, country), segment=segment,
        region=REGION[country], country=country, industry=industry, currency=currency,
        partner_id=partner, created_at=created, health=r.gauss(0, 1), friction=r.gauss(0, 1),
        pays_late=r.random(),
        device_customer=r.random() < DEVICE_INDUSTRIES.get(industry, 0.04)
        * (0.6 if segment == "smb" else 1.2),
        prospect=r.random() < cfg.prospect_share, first_signed=first_signed)


# -- lines ----------------------------------------------------------------------------------
def add_line(ctx: TenantContext, term: Term, key: str, quantity: Decimal, *, start: date,
             end: date, created_on: date, unit_price: Decimal | None = None,
             discount: Decimal = Decimal(0), period: str | None = None,
             amendment: Amendment | None = None, bundle: str | None = None,
             list_price: bool = True) -> Line:
    product = ctx.catalog.products[key]
    model = product.spec.model
    period = period or (term.frequency if model == "recurring" else "none")
    price_id = None
    if model != "milestone":
        entry = ctx.catalog.price_on(key, term.currency, period, created_on)
        if unit_price is None:
            unit_price = entry.unit_price
        if list_price and unit_price == entry.unit_price:
            price_id = entry.id
    line = Line(id=ctx.ids.next("SLI"), term=term, product=product, model=model, period=period,
                quantity=quantity, unit_price=unit_price, discount_pct=discount,
                price_id=price_id, start=start, end=end, created_on=created_on,
                amendment_id=amendment.id if amendment else None, bundle_id=bundle)
    term.lines.append(line)
    return line


def _seats(r: random.Random, seg: Segment) -> int:
    lo, hi = seg.seats
    return round(math.exp(r.uniform(math.log(lo), math.log(hi))))


def _discount(r: random.Random, seg: Segment) -> Decimal:
    if r.random() < 0.35:
        return Decimal(0)
    return Decimal(round(r.uniform(0, seg.discount_max) * 2) / 2)


def _first_lines(ctx: TenantContext, life: CustomerLife, term: Term, r: random.Random) -> None:
    c = life.customer
    seg = SEGMENTS[c.segment]
    s, e, on = term.start, term.end, term.signed
    seats = _seats(r, seg)
    disc = _discount(r, seg)
    tier = weighted(r, seg.tiers)
    custom = c.segment == "enterprise" and r.random() < 0.12
    unit = None
    if custom:
        listed = ctx.catalog.price_on(tier, term.currency, term.frequency, on).unit_price
        unit, disc = price(money(listed * Decimal(str(round(r.uniform(0.75, 0.92), 2))))), Decimal(0)
    add_line(ctx, term, tier, Decimal(seats), start=s, end=e, created_on=on, unit_price=unit,
             discount=disc, list_price=not custom)
    if r.random() < 0.3:
        add_line(ctx, term, "analytics", Decimal(max(1, round(seats * r.uniform(0.2, 0.6)))),
                 start=s, end=e, created_on=on, discount=disc)
    support_p = {"smb": 0.05, "mid_market": 0.25, "enterprise": 0.5}[c.segment]
    if r.random() < support_p:
        add_line(ctx, term, "premium_support", ONE, start=s, end=e, created_on=on)
    if r.random() < support_p * 1.2:
        add_line(ctx, term, "sso", ONE, start=s, end=e, created_on=on, discount=disc)
    _usage_lines(ctx, term, r, s, e, on)
    one_time_end = add_days(s, 1)
    if r.random() < (0.45 if c.segment == "smb" else 0.85):
        add_line(ctx, term, "setup", ONE, start=s, end=one_time_end, created_on=on)
    if r.random() < 0.3:
        add_line(ctx, term, "training", Decimal(r.randint(1, 4)), start=s, end=one_time_end,
                 created_on=on)
    milestone_p = {"smb": 0.05, "mid_market": 0.6, "enterprise": 0.9}[c.segment]
    if r.random() < milestone_p:
        total = ctx.catalog.local({"smb": 6000, "mid_market": 18000,
                                   "enterprise": 70000}[c.segment], term.currency)
        count = r.randint(2, 4)
        for _ in range(count):
            amount = money(round(total * r.uniform(0.6, 1.4) / count / 50) * 50)
            add_line(ctx, term, "implementation", ONE, start=s, end=e, created_on=on,
                     unit_price=price(amount))
    if c.device_customer:
        _device_bundle(ctx, term, r)


def _usage_lines(ctx: TenantContext, term: Term, r: random.Random, s: date, e: date,
                 on: date) -> None:
    """Every contract meters API calls (the usage-trend driver); some storage or messages."""
    keys = ("api_calls",) + tuple(
        k for k, p in (("storage", 0.45), ("messages", 0.3)) if r.random() < p)
    for key in keys:
        disc = Decimal(10) if term.customer.segment == "enterprise" and r.random() < 0.2 else 0
        add_line(ctx, term, key, ONE, start=s, end=e, created_on=on, discount=Decimal(disc))


def _device_bundle(ctx: TenantContext, term: Term, r: random.Random) -> None:
    g_lo, g_hi = {"smb": (2, 8), "mid_market": (5, 40), "enterprise": (20, 160)}[
        term.customer.segment]
    gateways = r.randint(g_lo, g_hi)
    sensors = gateways * r.randint(0, 4)
    bundle = ctx.ids.next("BND")
    term.bundle_id = bundle
    s, e, on = term.start, term.end, term.signed
    billing_set_up = r.random() > 0.06  # some rollouts are deployed but never billed
    term_devices: dict[str, int] = {"gateway": gateways}
    if sensors:
        term_devices["sensor"] = sensors
    for key, qty in term_devices.items():
        if billing_set_up:
            add_line(ctx, term, key, Decimal(qty), start=s, end=add_days(s, 1), created_on=on,
                     bundle=bundle)
    add_line(ctx, term, "device_mgmt", Decimal(gateways + sensors), start=s, end=e,
             created_on=on, bundle=bundle)
    add_line(ctx, term, "device_hours", ONE, start=s, end=e, created_on=on, bundle=bundle)
    term.devices = term_devices


def _renewal_lines(ctx: TenantContext, term: Term, prev: Term, plan: RenewalPlan,
                   r: random.Random) -> None:
    s, e, on = term.start, term.end, term.signed
    uplift = Decimal(str(1 + plan.uplift_pct / 100))
    for old in prev.lines:
        if old.end != prev.end or old.model not in ("recurring", "usage"):
            continue
        key = old.product.spec.key
        if key == "classic":
            key = "professional"
        if plan.drop_add_ons and key in ADD_ONS and r.random() < 0.6:
            continue
        qty = old.quantity
        if old.model == "recurring" and old.product.spec.unit == "seat":
            qty = Decimal(max(1, round(float(qty) * plan.seat_factor)))
            if plan.outcome == "contracted" and old.quantity > 1:
                qty = min(qty, old.quantity - 1)
        unit = old.unit_price
        if old.model == "recurring":
            if old.period != term.frequency:
                unit = ctx.catalog.price_on(key, term.currency, term.frequency, on).unit_price
            else:
                unit = price(unit * uplift)
        add_line(ctx, term, key, qty, start=s, end=e, created_on=on, unit_price=unit,
                 discount=old.discount_pct, bundle=term.bundle_id if old.bundle_id else None)


# -- terms ----------------------------------------------------------------------------------
def _activation_lag(ctx: TenantContext, c: Customer, r: random.Random) -> int:
    if r.random() < ctx.world.config.long_activation_share * (1.5 if c.friction > 1 else 1):
        return r.randint(60, 150)
    base = {"smb": 6, "mid_market": 12, "enterprise": 18}[c.segment]
    return max(1, round(math.exp(r.gauss(math.log(base) + 0.35 * c.friction, 0.5))))


def new_term(ctx: TenantContext, life: CustomerLife, r: random.Random, signed: date,
             prev: Term | None, plan: RenewalPlan | None) -> Term:
    c = life.customer
    seg = SEGMENTS[c.segment]
    if prev is None:
        planned = first_on_or_after(signed)
        lag = _activation_lag(ctx, c, r)
        activated = add_days(signed, lag)
        start = planned if activated <= planned else first_on_or_after(activated)
        months = int(weighted(r, seg.terms))
        frequency = weighted(r, seg.frequency)
    else:
        planned = activated = start = prev.end
        months = prev.months if r.random() < 0.8 else int(weighted(r, seg.terms))
        frequency = prev.frequency
        if plan is not None and plan.outcome == "renewed" and r.random() < 0.15:
            frequency = weighted(r, seg.frequency)
    term = Term(
        id=ctx.ids.next("CON"), customer=c, contract_type="new" if prev is None else "renewal",
        signed=signed, planned_start=planned, activated=activated, start=start,
        end=add_months(start, months), months=months, frequency=frequency,
        payment_terms=r.choice((30, 30, 30, 15, 45, 60)) if prev is None else prev.payment_terms,
        currency=c.currency, auto_renew=r.random() < 0.55 if prev is None else prev.auto_renew,
        partner_id=c.partner_id, opportunity_id=None, renewed_from=prev)
    if prev is None:
        _first_lines(ctx, life, term, r)
    else:
        term.bundle_id = prev.bundle_id and ctx.ids.next("BND")
        _renewal_lines(ctx, term, prev, plan, r)  # type: ignore[arg-type]
    return term


# -- amendments -----------------------------------------------------------------------------
def _boundaries(term: Term) -> list[date]:
    step = term.period_months
    first = 2 if step == 1 else 1
    return [add_months(term.start, k * step) for k in range(first, term.months // step)]


def _active(term: Term, on: date, model: str = "recurring") -> list[Line]:
    return [ln for ln in term.lines if ln.model == model and ln.start <= on < ln.end]


def _replace(ctx: TenantContext, term: Term, old: Line, amd: Amendment, *, key: str | None = None,
             quantity: Decimal | None = None, unit_price: Decimal | None = None) -> Line:
    old.planned_end, old.end, old.end_signed = old.end, amd.effective, amd.signed
    key = key or old.product.spec.key
    list_price = unit_price is None and key != old.product.spec.key
    unit = unit_price if unit_price is not None else (None if list_price else old.unit_price)
    return add_line(ctx, term, key, quantity if quantity is not None else old.quantity,
                    start=amd.effective, end=term.end, created_on=amd.signed, unit_price=unit,
                    discount=old.discount_pct, amendment=amd, bundle=old.bundle_id,
                    list_price=list_price)


def simulate_amendments(ctx: TenantContext, life: CustomerLife, term: Term, health: float,
                        r: random.Random) -> None:
    boundaries = _boundaries(term)
    if not boundaries:
        return
    per_year = {"upgrade": 0.22 * math.exp(0.5 * health), "downgrade": 0.06 * math.exp(-0.6 * health),
                "add_product": 0.14, "remove_product": 0.05}
    scale = term.period_months / 12
    plan: dict[date, str] = {}
    for b in boundaries:
        for kind, rate in per_year.items():
            if r.random() < rate * scale:
                plan.setdefault(b, kind)
    increase = add_days(ctx.catalog.increase_date, 60)
    if term.start < increase < term.end and r.random() < 0.4 or r.random() < 0.05:
        eligible = [b for b in boundaries if b >= increase] or boundaries
        plan[eligible[0] if r.random() < 0.7 else r.choice(eligible)] = "price_change"
    for effective in sorted(plan):
        signed = max(term.signed, add_days(effective, -r.randint(5, 35)))
        _apply_amendment(ctx, life, term, plan[effective], signed, effective, r)


def _apply_amendment(ctx: TenantContext, life: CustomerLife, term: Term, kind: str, signed: date,
                     effective: date, r: random.Random) -> None:
    active = _active(term, effective)
    platform = next((ln for ln in active if ln.product.spec.family == "platform"), None)
    before = sum((ln.monthly_value for ln in active), Decimal(0))
    amd = Amendment(ctx.ids.next("AMD"), term, kind, signed, effective, Decimal(0), "")
    present = {ln.product.spec.key for ln in active}
    if kind == "upgrade" and platform is not None:
        tier = platform.product.spec.key
        if tier in TIERS[:-1] and r.random() < 0.3:
            new_tier = TIERS[TIERS.index(tier) + 1]
            _replace(ctx, term, platform, amd, key=new_tier)
            amd.description = f"Upgrade {tier} to {new_tier}"
        else:
            qty = Decimal(math.ceil(float(platform.quantity) * r.uniform(1.1, 1.5)))
            _replace(ctx, term, platform, amd, quantity=qty)
            amd.description = f"Add seats: {platform.quantity} to {qty}"
    elif kind == "downgrade" and platform is not None and platform.quantity > 1:
        qty = Decimal(max(1, math.floor(float(platform.quantity) * r.uniform(0.6, 0.9))))
        _replace(ctx, term, platform, amd, quantity=qty)
        amd.description = f"Reduce seats: {platform.quantity} to {qty}"
    elif kind == "add_product" and set(ADD_ONS) - present:
        key = r.choice(sorted(set(ADD_ONS) - present))
        seats = platform.quantity if platform else Decimal(5)
        qty = Decimal(max(1, round(float(seats) * r.uniform(0.2, 0.6)))) if key == "analytics" \
            else ONE
        add_line(ctx, term, key, qty, start=effective, end=term.end, created_on=signed,
                 amendment=amd)
        amd.description = f"Add {ctx.catalog.products[key].spec.name}"
    elif kind == "remove_product" and present & set(ADD_ONS):
        line = next(ln for ln in active if ln.product.spec.key in ADD_ONS)
        line.planned_end, line.end, line.end_signed = line.end, effective, signed
        amd.description = f"Remove {line.product.spec.name}"
    elif kind == "price_change" and active:
        pct = r.choice((3, 4, 5, 6, 8, 10, 12, 15))
        amd.pct = pct
        factor = Decimal(str(1 + pct / 100))
        for line in active:
            _replace(ctx, term, line, amd, unit_price=price(line.unit_price * factor))
        amd.description = f"Price increase of {pct}% on recurring fees"
    else:
        return
    after = sum((ln.monthly_value for ln in _active(term, effective)), Decimal(0))
    amd.mrr_delta = money(after - before)
    term.amendments.append(amd)
    if kind in ("upgrade", "add_product"):
        life.opportunities.append(Opportunity(
            "expansion", add_days(signed, -r.randint(20, 70)), signed, "won",
            money(max(amd.mrr_delta, Decimal(0)) * 12)))


# -- renewal decision -----------------------------------------------------------------------
def renewal_drivers(life: CustomerLife, term: Term) -> dict[str, float]:
    decision = add_days(term.end, -30)
    window_start = add_days(term.end, -395)
    escalations = sum(1 for t in life.tickets if t.escalated
                      and window_start <= t.opened.date() < decision)
    # API calls metered in the three months before the last month of the term against the
    # three before those (events are exported, so this can be recomputed from the data).
    m = month_index(term.end)
    last3 = sum(life.api_usage.get(i, 0) for i in range(m - 4, m - 1)) / 10_000
    prev3 = sum(life.api_usage.get(i, 0) for i in range(m - 7, m - 4)) / 10_000
    trend = math.log((last3 + 1) / (prev3 + 1)) if prev3 > 0 else 0.0
    first = term.contract_type == "new"
    project = next((p for p in life.projects if p.term is term), None)
    price_pct = sum(a.pct for a in term.amendments
                    if a.kind == "price_change" and a.effective < decision)
    return {
        "escalations_12m": escalations,
        "usage_trend": round(trend, 6),
        # Onboarding only weighs on the first renewal after a new contract.
        "activation_lag_days": (term.activated - term.signed).days if first else 0,
        "go_live_slip_days": project.slip_days if first and project else 0,
        "price_change_pct": price_pct,
    }


def decide_renewal(ctx: TenantContext, life: CustomerLife, term: Term,
                   r: random.Random) -> RenewalPlan:
    cm = ctx.world.config.churn
    seg = SEGMENTS[life.customer.segment]
    d = renewal_drivers(life, term)
    increased = term.signed < ctx.catalog.increase_date <= add_days(term.end, -90)
    uplift = float(weighted(r, {"0": 0.35, "3": 0.2, "5": 0.25, "8": 0.12, "12": 0.08}
                            if increased else {"0": 0.7, "3": 0.2, "5": 0.1}))
    x = (cm.intercept + seg.churn_offset + cm.per_escalation * d["escalations_12m"]
         + cm.per_usage_trend * d["usage_trend"]
         + cm.per_lag_day_over_30 * max(0, d["activation_lag_days"] - 30)
         + cm.per_slip_day * max(0, d["go_live_slip_days"])
         + cm.per_price_pct * (d["price_change_pct"] + uplift))
    p_churn = sigmoid(x)
    p_contract = sigmoid(cm.contraction_intercept
                         + cm.contraction_per_usage_trend * d["usage_trend"]
                         + cm.contraction_per_escalation * d["escalations_12m"])
    if r.random() < p_churn:
        outcome = "churned"
    elif r.random() < p_contract:
        outcome = "contracted"
    else:
        outcome = "renewed"
    plan = RenewalPlan(
        outcome=outcome,
        signed=add_days(term.end, -(r.randint(20, 35) if term.auto_renew else r.randint(0, 45))),
        uplift_pct=uplift if outcome == "renewed" else 0.0,
        proposed_uplift_pct=uplift,
        seat_factor=r.uniform(1.0, 1.25) if outcome == "renewed" else r.uniform(0.5, 0.85),
        drop_add_ons=outcome == "contracted")
    term.outcome = outcome
    term.renewal_record = {**d, "churn_probability": p_churn,
                           "contraction_probability": p_contract, "outcome": outcome,
                           "renewal_uplift_pct": uplift}
    return plan


def usage_growth(health: float, r: random.Random) -> float:
    """Monthly log growth of consumption in one term: healthy customers grow, unhappy shrink."""
    return 0.008 + 0.025 * health + r.gauss(0, 0.012)


def meter_term(ctx: TenantContext, life: CustomerLife, term: Term, growth: float,
               nr: np.random.Generator, seat_scale: float) -> None:
    """Monthly usage totals for the term's usage lines; levels carry over between terms."""
    seats = sum(float(ln.quantity) for ln in term.lines
                if ln.model == "recurring" and ln.product.spec.unit == "seat"
                and ln.product.spec.family == "platform" and ln.start == term.start) or 5.0
    devices = sum(term.devices.values()) or sum(
        float(ln.quantity) for ln in term.lines if ln.product.spec.key == "device_mgmt")
    for line in term.lines:
        if line.model != "usage":
            continue
        metric = line.product.spec.metric
        assert metric is not None
        level = life.usage_level.get(metric)
        if level is None:
            units = devices if metric == "device_hours" else seats
            level = PER_UNIT_MONTH[metric] * max(units, 1.0) * float(nr.lognormal(0, 0.35))
        level *= seat_scale
        months = month_span(line.start, line.end)
        totals, closing = monthly_totals(nr, metric, level, growth, int(months[0]), len(months))
        life.usage_level[metric] = closing
        line.usage_months, line.usage_totals = months, totals
        if metric == "api_calls":
            for mi, q in zip(months.tolist(), totals.tolist()):
                life.api_usage[mi] = life.api_usage.get(mi, 0) + q
