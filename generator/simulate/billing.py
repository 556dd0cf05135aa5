"""Invoicing: expected charges per line and period, grouped into invoices, with billing errors
injected at known rates and written to ground truth.

Expected billing (what the warehouse should reproduce):
- recurring: one charge per billing period from the line's start, in advance (invoice dated at
  the period start); amount = quantity x unit price less discount;
- usage: monthly in arrears (invoice on the 1st of the next month), quantity = metered total;
- one-time: at the line's start; milestone: on the milestone's completion date.
Charges of one contract due the same day share an invoice. Each injected error affects exactly
one invoice line or one line-period (duplicate and late invoices: every line of that invoice).

Billing works from what the billing system holds: the line item's billing price and the
metered totals. Where those carry a silent error (silent_errors.py), a charge billed without
any other error is labelled with it, its expected amount the agreed price times the true
usage; a charge that also carries a rule-visible error keeps that error's label alone.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from generator.config import TAX_RATE
from generator.dates import add_days, add_months, at, month_date
from generator.money import line_amount, money, price
from generator.simulate.context import TenantContext
from generator.simulate.lifecycle import CustomerLife
from generator.simulate.model import Line, Term

SCALE = Decimal("0.0001")


@dataclass(frozen=True)
class Charge:
    line: Line
    period_start: date
    period_end: date
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    due: date
    error: str | None = None
    expected_amount: Decimal | None = None
    # A silent error behind this charge and what it should have come to without it.
    silent_error: str | None = None
    true_amount: Decimal | None = None


@dataclass
class Invoice:
    id: str
    number: str
    term: Term
    invoice_date: date
    due_date: date
    lines: list[tuple[str, Charge]]
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    issued_seconds: int
    duplicate_of: Invoice | None = None
    late: bool = False
    ad_hoc: bool = False  # sold outside the contract: no contract, no line item


def expected_charges(term: Term, as_of: date) -> list[Charge]:
    out: list[Charge] = []
    for line in term.lines:
        if line.model == "recurring":
            step = line.months_per_period
            start = line.start
            while start < line.end and start <= as_of:
                end = add_months(start, step)
                out.append(_charge(line, start, end, line.quantity, start))
                start = end
        elif line.model == "usage" and line.usage_months is not None:
            for m, total, true_total in zip(line.usage_months.tolist(), line.metered.tolist(),
                                            line.usage_totals.tolist()):
                end = month_date(m + 1)
                if total > 0 and end <= as_of:
                    c = _charge(line, month_date(m), end, Decimal(total) * SCALE, end)
                    if total != true_total:
                        c = replace(c, silent_error="usage_spike", true_amount=line_amount(
                            Decimal(true_total) * SCALE, line.unit_price, line.discount_pct))
                    out.append(c)
        elif line.model == "one_time" and line.start <= as_of:
            out.append(_charge(line, line.start, add_days(line.start, 1), line.quantity,
                               line.start))
        elif line.model == "milestone" and line.milestone_done and line.milestone_done <= as_of:
            done = line.milestone_done
            out.append(_charge(line, done, add_days(done, 1), line.quantity, done))
    return out


def _charge(line: Line, start: date, end: date, quantity: Decimal, due: date) -> Charge:
    unit = line.billed_unit_price
    c = Charge(line, start, end, quantity, unit, line_amount(quantity, unit, line.discount_pct),
               due)
    if unit != line.unit_price:
        return replace(c, silent_error="price_drift",
                       true_amount=line_amount(quantity, line.unit_price, line.discount_pct))
    return c


def _silent(c: Charge) -> Charge:
    """The charge labelled with its silent error, unless another error already names it."""
    if c.error is None and c.silent_error is not None:
        return replace(c, error=c.silent_error, expected_amount=c.true_amount)
    return c


def _eligible_errors(c: Charge) -> list[str]:
    kinds = ["missed_invoice", "wrong_price"]
    if c.line.model == "usage" or c.quantity >= 2:
        kinds += ["under_billing", "over_billing"]
    return kinds


def _with_error(c: Charge, kind: str, r: random.Random) -> Charge | None:
    """The billed version of ``c`` under an error; None when the error would not change it."""
    qty, unit = c.quantity, c.unit_price
    if kind == "wrong_price":
        sign = 1 if r.random() < 0.5 else -1
        unit = price(unit * Decimal(str(round(1 + sign * r.uniform(0.05, 0.2), 4))))
    elif kind in ("under_billing", "over_billing"):
        low, high = (0.5, 0.9) if kind == "under_billing" else (1.1, 1.5)
        if c.line.model == "usage":
            qty = price(qty * Decimal(str(round(r.uniform(low, high), 4))))
        else:
            delta = max(1, round(float(qty) * r.uniform(0.1, 0.4)))
            qty = qty - delta if kind == "under_billing" else qty + delta
            qty = max(qty, Decimal(1))
    billed = line_amount(qty, unit, c.line.discount_pct)
    if billed == c.amount:
        return None
    return replace(c, quantity=qty, unit_price=unit, amount=billed, error=kind,
                   expected_amount=c.amount)


def _before_activation(term: Term, r: random.Random, rate: float, as_of: date) -> list[Charge]:
    """Recurring lines billed from the planned start although activation came later."""
    if term.contract_type != "new" or term.planned_start >= term.start:
        return []
    out = []
    for line in term.lines:
        if (line.model == "recurring" and line.start == term.start and line.amendment_id is None
                and term.planned_start <= as_of and r.random() < rate):
            start = term.planned_start
            c = _charge(line, start, add_months(start, line.months_per_period), line.quantity,
                        start)
            out.append(replace(c, error="billed_before_activation", expected_amount=Decimal(0)))
    return out


def bill_customer(ctx: TenantContext, life: CustomerLife, r: random.Random) -> list[Invoice]:
    """Invoices of every exported contract of the customer (errors included)."""
    rates = ctx.world.config.errors
    as_of = ctx.as_of
    tax_rate = Decimal(str(TAX_RATE.get(life.customer.country, 0.0)))
    invoices: list[Invoice] = []
    for term in life.terms:
        if term.signed > as_of:
            continue
        groups: dict[date, list[Charge]] = defaultdict(list)
        for c in expected_charges(term, as_of):
            groups[c.due].append(c)
        for c in _before_activation(term, r, rates.billed_before_activation, as_of):
            groups[c.due].append(c)
        for due in sorted(groups):
            charges = groups[due]
            special = any(c.error for c in charges)
            roll = r.random()
            duplicate = not special and roll < rates.duplicate_invoice
            late_by = r.randint(31, 75)
            late = (not special and not duplicate
                    and roll < rates.duplicate_invoice + rates.late_invoice
                    and add_days(due, late_by) <= as_of)
            billed: list[Charge] = []
            for c in charges:
                if c.error or late:  # a late invoice's lines are labelled late
                    billed.append(c)
                    continue
                if duplicate:
                    billed.append(_silent(c))
                    continue
                billed_c = _maybe_error(c, r, rates)
                if billed_c is None:
                    continue
                if billed_c.error == "missed_invoice":
                    _truth(ctx, life, term, None, None, billed_c)
                    continue
                billed.append(_silent(billed_c))
            if not billed:
                continue
            if late:
                when = add_days(due, late_by)
            else:
                when = min(add_days(due, r.choice((0, 0, 0, 0, 1, 2, 3))), as_of)
            inv = _invoice(ctx, term, when, billed, tax_rate, r)
            inv.late = late
            invoices.append(inv)
            for line_id, c in inv.lines:
                if c.error:
                    _truth(ctx, life, term, inv.id, line_id, c)
                elif late:
                    _truth(ctx, life, term, inv.id, line_id,
                           replace(c, error="late_invoice", expected_amount=c.amount))
            if duplicate:
                again = min(add_days(when, r.randint(0, 10)), as_of)
                dup = _invoice(ctx, term, again, billed, tax_rate, r)
                dup.duplicate_of = inv
                invoices.append(dup)
                for line_id, c in dup.lines:
                    _truth(ctx, life, term, dup.id, line_id,
                           replace(c, error="duplicate_invoice", expected_amount=c.amount),
                           billed_amount=c.amount * 2)
    invoices.extend(_ad_hoc(ctx, life, tax_rate, r))
    invoices.sort(key=lambda inv: inv.invoice_date)
    return invoices


def _ad_hoc(ctx: TenantContext, life: CustomerLife, tax_rate: Decimal,
            r: random.Random) -> list[Invoice]:
    """Now and then extra training is sold and invoiced outside any contract."""
    out = []
    for term in life.terms:
        if term.signed > ctx.as_of or r.random() >= 0.03 * term.months / 12:
            continue
        when = add_days(term.start, r.randint(30, max(31, (term.end - term.start).days - 1)))
        if when > ctx.as_of:
            continue
        entry = ctx.catalog.price_on("training", term.currency, "none", when)
        extra = Line(id="", term=term, product=entry.product, model="one_time", period="none",
                     quantity=Decimal(r.randint(1, 3)), unit_price=entry.unit_price,
                     discount_pct=Decimal(0), price_id=None, start=when,
                     end=add_days(when, 1), created_on=when)
        inv = _invoice(ctx, term, when, [_charge(extra, when, add_days(when, 1),
                                                 extra.quantity, when)], tax_rate, r)
        inv.ad_hoc = True
        out.append(inv)
    return out


def _maybe_error(c: Charge, r: random.Random, rates: Any) -> Charge | None:
    """The charge as billed: unchanged, with one error, or missed (error='missed_invoice')."""
    u = r.random()
    for kind in _eligible_errors(c):
        p = getattr(rates, kind)
        if u < p:
            if kind == "missed_invoice":
                return replace(c, error=kind, expected_amount=c.amount, amount=Decimal("0.00"))
            return _with_error(c, kind, r) or c
        u -= p
    return c


def _invoice(ctx: TenantContext, term: Term, when: date, charges: list[Charge],
             tax_rate: Decimal, r: random.Random) -> Invoice:
    lines = [(ctx.ids.next("INL", 7), c) for c in charges]
    subtotal = money(sum((c.amount for c in charges), Decimal(0)))
    tax = money(subtotal * tax_rate)
    seq = ctx.ids.next_number("invoice-number")
    return Invoice(
        id=ctx.ids.next("INV"), number=f"{ctx.tenant.id[-3:]}-{when.year}-{seq:06d}", term=term,
        invoice_date=when, due_date=add_days(when, term.payment_terms), lines=lines,
        subtotal=subtotal, tax=tax, total=subtotal + tax,
        issued_seconds=r.randint(6 * 3600, 18 * 3600))


def _truth(ctx: TenantContext, life: CustomerLife, term: Term, invoice_id: str | None,
           line_id: str | None, c: Charge, billed_amount: Decimal | None = None) -> None:
    ctx.world.truth.billing_error(
        tenant_id=ctx.tenant.id, error_type=c.error, invoice_id=invoice_id,
        invoice_line_id=line_id, line_item_id=c.line.id, customer_id=life.customer.id,
        contract_id=term.id, period_start=c.period_start, period_end=c.period_end,
        expected_amount=c.expected_amount,
        billed_amount=billed_amount if billed_amount is not None else c.amount,
        currency=term.currency)


def invoice_rows(ctx: TenantContext, life: CustomerLife, inv: Invoice,
                 status: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    head = {"tenant_id": ctx.tenant.id, "invoice_id": inv.id, "invoice_number": inv.number,
            "customer_id": life.customer.id, "contract_id": None if inv.ad_hoc else inv.term.id,
            "invoice_date": inv.invoice_date, "due_date": inv.due_date,
            "currency": inv.term.currency, "subtotal": inv.subtotal, "tax_amount": inv.tax,
            "total_amount": inv.total, "status": status,
            "issued_at": at(inv.invoice_date, inv.issued_seconds)}
    rows = []
    for line_id, c in inv.lines:
        spec = c.line.product.spec
        if c.line.model == "usage":
            text = f"{spec.name} usage {c.period_start:%B %Y}"
        elif c.line.model == "recurring":
            text = f"{spec.name} {c.period_start.isoformat()} to " \
                   f"{add_days(c.period_end, -1).isoformat()}"
        elif inv.ad_hoc:
            text = f"{spec.name} (additional, outside contract)"
        else:
            text = spec.name
        rows.append({"tenant_id": ctx.tenant.id, "invoice_line_id": line_id,
                     "invoice_id": inv.id, "line_item_id": c.line.id or None,
                     "product_id": c.line.product.id, "line_type": c.line.model,
                     "description": text, "quantity": c.quantity, "unit_price": c.unit_price,
                     "amount": c.amount, "period_start": c.period_start,
                     "period_end": c.period_end})
    return head, rows
