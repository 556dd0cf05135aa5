"""After invoicing: payments (on time, late, partial, failed, never), credit notes and the
invoice status as of the export."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from generator.dates import add_days
from generator.money import money
from generator.rng import weighted
from generator.simulate.approvals import request_approval
from generator.simulate.billing import Invoice, invoice_rows
from generator.simulate.context import TenantContext
from generator.simulate.lifecycle import CustomerLife

_METHODS = {
    "EUR": {"sepa": 0.6, "card": 0.2, "wire": 0.2},
    "USD": {"ach": 0.5, "card": 0.3, "wire": 0.15, "check": 0.05},
    "CAD": {"ach": 0.4, "card": 0.35, "wire": 0.15, "check": 0.1},
    "GBP": {"card": 0.4, "wire": 0.6},
    "AUD": {"card": 0.5, "wire": 0.5},
}
_CREDITABLE = ("over_billing", "wrong_price", "billed_before_activation")


def settle(ctx: TenantContext, life: CustomerLife, invoices: list[Invoice],
           r: random.Random) -> None:
    """Emit invoices with their lines, payments and credit notes, as of the export date."""
    c = life.customer
    method = weighted(r, _METHODS[c.currency])
    if c.segment == "enterprise" and r.random() < 0.5:
        method = "wire"
    behaviour = ctx.world.config.payments
    for inv in invoices:
        paid, written_off, voided = _collect(ctx, life, inv, method, behaviour, r)
        credited = _credit_notes(ctx, life, inv, r, paid)
        if voided:
            status = "void"
        elif written_off:
            status = "uncollectible"
        elif paid >= inv.total - credited:
            status = "paid"
        elif paid > 0:
            status = "partially_paid"
        else:
            status = "open"
        head, lines = invoice_rows(ctx, life, inv, status)
        ctx.emit("invoices", head)
        for row in lines:
            ctx.emit("invoice_lines", row)
        if c.partner_id:
            month = inv.invoice_date.replace(day=1)
            ctx.partner_revenue[(c.partner_id, month, inv.term.currency)] += inv.subtotal


def _collect(ctx: TenantContext, life: CustomerLife, inv: Invoice, method: str, behaviour,
             r: random.Random) -> tuple[Decimal, bool, bool]:
    """Payments on or before as_of; returns (amount paid, written off, voided)."""
    if inv.total <= 0:
        return Decimal(0), False, False
    if inv.duplicate_of is not None and r.random() < 0.3:
        return Decimal(0), False, True  # caught before payment and voided
    late_bias = 0.5 + life.customer.pays_late
    outcome = weighted(r, {"on_time": behaviour.on_time, "late": behaviour.late * late_bias,
                           "partial": behaviour.partial * late_bias,
                           "failed": behaviour.failed, "never": behaviour.never * late_bias})
    terms = max(1, (inv.due_date - inv.invoice_date).days)
    payments: list[tuple[date, Decimal, str]] = []
    if outcome == "on_time":
        payments.append((add_days(inv.invoice_date, r.randint(1, terms)), inv.total, "succeeded"))
    elif outcome == "late":
        payments.append((add_days(inv.due_date, r.randint(5, 90)), inv.total, "succeeded"))
    elif outcome == "partial":
        first = money(inv.total * Decimal(str(round(r.uniform(0.3, 0.8), 2))))
        payments.append((add_days(inv.due_date, r.randint(-5, 10)), first, "succeeded"))
        if r.random() < 0.6:
            payments.append((add_days(inv.due_date, r.randint(20, 80)), inv.total - first,
                             "succeeded"))
    elif outcome == "failed":
        payments.append((inv.due_date, inv.total, "failed"))
        if r.random() < 0.7:
            payments.append((add_days(inv.due_date, r.randint(3, 15)), inv.total, "succeeded"))
    paid = Decimal(0)
    for when, amount, status in payments:
        if when > ctx.as_of:
            continue
        ctx.emit("payments", {
            "tenant_id": ctx.tenant.id, "payment_id": ctx.ids.next("PAY"), "invoice_id": inv.id,
            "customer_id": life.customer.id, "received_date": when, "amount": amount,
            "currency": inv.term.currency, "method": method, "status": status})
        if status == "succeeded":
            paid += amount
    written_off = False
    if outcome == "never" and (ctx.as_of - inv.due_date).days > 120:
        written_off = True
        request_approval(ctx, r, "write_off", inv.id, add_days(inv.due_date, 120),
                         inv.total, inv.term.currency, escalate_p=0.3)
    return paid, written_off, False


def _credit_notes(ctx: TenantContext, life: CustomerLife, inv: Invoice, r: random.Random,
                  paid: Decimal) -> Decimal:
    """Credit notes on the invoice issued by as_of; returns the amount credited (not void)."""
    rate = ctx.world.config.errors.credit_note_for_error
    notes: list[tuple[Decimal, str]] = []
    if inv.duplicate_of is not None and r.random() < rate:
        notes.append((inv.subtotal, "duplicate"))
    for _, c in inv.lines:
        if (c.error in _CREDITABLE and c.expected_amount is not None
                and c.amount > c.expected_amount and r.random() < rate):
            notes.append((money(c.amount - c.expected_amount), "billing_error"))
    roll = r.random()
    if not notes and inv.subtotal > 0 and roll < 0.015:
        share = Decimal(str(round(r.uniform(0.05, 0.2), 2)))
        notes.append((money(inv.subtotal * share), "service_credit" if roll < 0.01 else "goodwill"))
    credited = Decimal(0)
    for amount, reason in notes:
        issued = add_days(inv.invoice_date, r.randint(10, 60))
        if issued > ctx.as_of or amount <= 0:
            continue
        note_id = ctx.ids.next("CRN")
        status = "void" if r.random() < 0.04 else ("applied" if paid > 0 or r.random() < 0.5
                                                    else "issued")
        ctx.emit("credit_notes", {
            "tenant_id": ctx.tenant.id, "credit_note_id": note_id, "invoice_id": inv.id,
            "customer_id": life.customer.id, "issued_date": issued, "amount": amount,
            "currency": inv.term.currency, "reason": reason, "status": status})
        request_approval(ctx, r, "credit_note", note_id, add_days(issued, -r.randint(0, 3)),
                         amount, inv.term.currency, escalate_p=0.1, reject_p=0.03)
        if status != "void":
            credited += amount
    return credited
