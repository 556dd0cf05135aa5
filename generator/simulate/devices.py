"""Device rollouts: purchase order -> receipts (some late, partial or rejected) -> stock ->
deployment at the customer, linked to the device line item when billing was set up."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Any

from generator.dates import add_days, at
from generator.money import money, price
from generator.simulate.approvals import request_approval
from generator.simulate.context import TenantContext
from generator.simulate.lifecycle import CustomerLife
from generator.simulate.model import Project, Term


def warehouse(ctx: TenantContext) -> str:
    return f"WH-{ctx.tenant.country}-1"


def movement(ctx: TenantContext, item_id: str, kind: str, qty: int, on: date, seconds: int,
             reference: str | None) -> None:
    if on > ctx.as_of or qty == 0:
        return
    ctx.emit("stock_movements", {
        "tenant_id": ctx.tenant.id, "movement_id": ctx.ids.next("SMV", 7), "item_id": item_id,
        "movement_type": kind, "quantity": qty, "moved_at": at(on, seconds),
        "reference_id": reference, "warehouse_code": warehouse(ctx)})


def purchase(ctx: TenantContext, r: random.Random, item_key: str, qty: int, ordered: date,
             project_id: str | None, late_p: float = 0.2, partial_p: float = 0.15,
             reject_p: float = 0.06, stuck_p: float = 0.03) -> date | None:
    """Order, receive and stock ``qty`` units; returns the day the last unit was accepted
    (``None`` if the order is never completed)."""
    item = ctx.catalog.items[item_key]
    vendor = item.vendor
    po_id = ctx.ids.next("PO")
    lead = r.randint(20, 45)
    expected = add_days(ordered, lead)
    unit_cost = price(item.unit_cost * Decimal(str(round(r.uniform(0.95, 1.05), 4))))
    arrival = add_days(expected, r.randint(10, 60) if r.random() < late_p else r.randint(-5, 4))
    arrival = max(arrival, add_days(ordered, 3))
    first = qty if r.random() >= partial_p else max(1, round(qty * r.uniform(0.4, 0.8)))
    rejected = min(first, r.randint(1, max(1, qty // 20))) if r.random() < reject_p else 0
    deliveries = [(arrival, first - rejected, rejected)]
    accepted = first - rejected
    stuck = r.random() < stuck_p
    if accepted < qty and not stuck:
        deliveries.append((add_days(arrival, r.randint(7, 30)), qty - accepted, 0))
        accepted = qty
    received_by_as_of = sum(d[1] for d in deliveries if d[0] <= ctx.as_of)
    any_by_as_of = any(d[0] <= ctx.as_of for d in deliveries)
    if received_by_as_of >= qty:
        status = "received"
    elif any_by_as_of:
        status = "partially_received"
    else:
        status = "open"
    if ordered <= ctx.as_of:
        ctx.emit("purchase_orders", {
            "tenant_id": ctx.tenant.id, "po_id": po_id, "vendor_id": vendor["vendor_id"],
            "item_id": item.id, "project_id": project_id, "quantity": qty,
            "unit_cost": unit_cost, "currency": item.currency, "ordered_date": ordered,
            "expected_date": expected, "status": status})
        request_approval(ctx, r, "purchase_order", po_id, add_days(ordered, -1),
                         money(unit_cost * qty), item.currency, escalate_p=0.1)
    for when, ok, bad in deliveries:
        if when > ctx.as_of:
            continue
        receipt_id = ctx.ids.next("RCP")
        ctx.emit("receipts", {"tenant_id": ctx.tenant.id, "receipt_id": receipt_id,
                              "po_id": po_id, "item_id": item.id, "received_date": when,
                              "quantity_received": ok, "quantity_rejected": bad})
        movement(ctx, item.id, "receipt", ok, when, r.randint(9 * 3600, 16 * 3600), receipt_id)
    return deliveries[-1][0] if accepted >= qty else None


def roll_out(ctx: TenantContext, life: CustomerLife, term: Term, project: Project,
             r: random.Random) -> None:
    for key, qty in term.devices.items():
        line = next((ln for ln in term.lines if ln.product.spec.key == key), None)
        committed = add_days(term.signed, r.randint(5, 15))
        if committed > ctx.as_of:
            continue
        ready = purchase(ctx, r, key, qty, add_days(committed, r.randint(0, 7)), project.id)
        deployment_id = ctx.ids.next("DEP")
        item = ctx.catalog.items[key]
        roll = r.random()
        deployed = add_days(max(ready, project.start), r.randint(3, 15)) if ready else None
        status, returned = "committed", None
        if roll < 0.02:
            status, deployed = "cancelled", None
        elif deployed is not None and deployed <= ctx.as_of:
            status = "deployed"
            if roll > 0.97:
                returned = add_days(deployed, r.randint(30, 200))
                if returned <= ctx.as_of:
                    status = "returned"
        ctx.emit("device_deployments", _deployment_row(
            ctx, deployment_id, item.id, life.customer.id, term.id, project.id,
            line.id if line else None, qty, committed,
            deployed if deployed and deployed <= ctx.as_of else None, status))
        if deployed is not None:
            movement(ctx, item.id, "deployment", -qty, deployed, r.randint(8 * 3600, 17 * 3600),
                     deployment_id)
        if returned is not None:
            movement(ctx, item.id, "return", qty, returned, r.randint(8 * 3600, 17 * 3600),
                     deployment_id)
            if r.random() < 0.5:
                movement(ctx, item.id, "write_off", -qty, add_days(returned, r.randint(5, 30)),
                         r.randint(8 * 3600, 17 * 3600), None)


def _deployment_row(ctx: TenantContext, deployment_id: str, item_id: str, customer_id: str,
                    contract_id: str, project_id: str, line_id: str | None, qty: int,
                    committed: date, deployed: date | None, status: str) -> dict[str, Any]:
    return {"tenant_id": ctx.tenant.id, "deployment_id": deployment_id, "item_id": item_id,
            "customer_id": customer_id, "contract_id": contract_id, "project_id": project_id,
            "line_item_id": line_id, "quantity": qty, "committed_date": committed,
            "deployed_date": deployed, "status": status}
