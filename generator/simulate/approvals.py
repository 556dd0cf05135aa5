"""Approval workflows: a request is submitted, maybe escalated or rejected, then approved."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from generator.dates import at
from generator.simulate.context import TenantContext


def request_approval(ctx: TenantContext, r: random.Random, workflow: str, object_id: str,
                     on: date, amount: Decimal | None, currency: str | None,
                     escalate_p: float = 0.15, reject_p: float = 0.0) -> None:
    """Events of one approval (and a resubmission after a rejection), on or before as_of."""
    when = at(on, r.randint(8 * 3600, 17 * 3600))
    rejected = r.random() < reject_p
    steps = [("submitted", "requester")]
    if rejected:
        steps.append(("rejected", "approver"))
    elif r.random() < escalate_p:
        steps += [("escalated", "approver"), ("approved", "executive")]
    else:
        steps.append(("approved", "approver"))
    _emit(ctx, r, workflow, object_id, when, steps, amount, currency)
    if rejected:  # resubmitted with changes and approved a few days later
        _emit(ctx, r, workflow, object_id, when + timedelta(days=r.randint(1, 4)),
              [("submitted", "requester"), ("approved", "approver")], amount, currency)


def _emit(ctx: TenantContext, r: random.Random, workflow: str, object_id: str, when,
          steps: list[tuple[str, str]], amount: Decimal | None, currency: str | None) -> None:
    request_id = ctx.ids.next("APR")
    end = ctx.world.as_of_end
    for step, (action, role) in enumerate(steps, start=1):
        if when >= end:
            return
        ctx.emit("approval_events", {
            "tenant_id": ctx.tenant.id, "event_id": ctx.ids.next("AEV", 7),
            "workflow": workflow, "object_id": object_id, "request_id": request_id,
            "step": step, "action": action, "actor": ctx.person(role, r), "occurred_at": when,
            "amount": amount, "currency": currency if amount is not None else None})
        when = when + timedelta(seconds=r.randint(20 * 60, 2 * 86400))
