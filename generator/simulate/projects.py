"""Implementation projects and milestones; billable milestones link to milestone line items.

Go-live slip follows the customer's latent onboarding friction, the same latent that drives a
long activation lag, so both are visible signs of a rocky start.
"""

from __future__ import annotations

import random
from typing import Any

from generator.dates import add_days
from generator.money import money
from generator.simulate.context import TenantContext
from generator.simulate.lifecycle import CustomerLife, sigmoid
from generator.simulate.model import Milestone, Project, Term

_MILESTONES = {
    "onboarding": ("Kick-off", "Configuration", "Go-live"),
    "integration": ("Kick-off", "Solution design", "Integration build", "User acceptance",
                    "Go-live"),
    "device_rollout": ("Kick-off", "Site survey", "Device installation", "Go-live"),
    "custom": ("Kick-off", "Requirements", "Build", "Acceptance", "Go-live"),
}
_DURATION_DAYS = {"onboarding": (30, 60), "integration": (60, 120), "device_rollout": (60, 150),
                  "custom": (90, 180)}


def start_project(ctx: TenantContext, life: CustomerLife, term: Term,
                  r: random.Random) -> Project:
    c = life.customer
    if term.devices:
        kind = "device_rollout"
    elif c.segment == "smb":
        kind = "onboarding"
    else:
        kind = "custom" if r.random() < 0.1 else ("integration" if r.random() < 0.75
                                                   else "onboarding")
    start = add_days(term.signed, r.randint(3, 20))
    duration = r.randint(*_DURATION_DAYS[kind])
    planned = add_days(start, duration)
    if r.random() < sigmoid(c.friction - 0.3):
        slip = round(r.expovariate(1 / max(10.0, 25 + 30 * c.friction)))
    else:
        slip = r.randint(0, 4)
    project = Project(ctx.ids.next("PRJ"), term, kind, start, planned, add_days(planned, slip),
                      ctx.person("manager", r))
    billable = [ln for ln in term.lines if ln.model == "milestone"]
    names = list(_MILESTONES[kind])
    while len(names) < len(billable) + 1:
        names.insert(-1, f"Phase {len(names)}")
    n = len(names)
    previous = start
    for i, name in enumerate(names):
        planned_i = add_days(start, round(duration * (i + 1) / n))
        if i == n - 1:
            done = project.go_live
        else:
            done = max(previous, add_days(planned_i, round(slip * (i + 1) / n) + r.randint(-3, 5)))
        previous = done
        line = billable[i - (n - len(billable))] if i >= n - len(billable) else None
        if line is not None:
            line.milestone_done = done
        project.milestones.append(Milestone(ctx.ids.next("MLS"), name, i + 1, planned_i, done,
                                            line))
    life.projects.append(project)
    return project


def project_rows(ctx: TenantContext, life: CustomerLife,
                 project: Project) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    as_of = ctx.as_of
    if project.start > as_of:
        status = "planned"
    elif project.go_live <= as_of:
        status = "live"
    elif project.slip_days > 45 and as_of > project.planned_go_live and project.id[-1] in "0369":
        status = "on_hold"
    else:
        status = "in_progress"
    head = {"tenant_id": ctx.tenant.id, "project_id": project.id, "contract_id": project.term.id,
            "customer_id": life.customer.id, "project_type": project.kind, "status": status,
            "start_date": project.start, "planned_go_live_date": project.planned_go_live,
            "actual_go_live_date": project.go_live if project.go_live <= as_of else None,
            "project_manager": project.manager}
    rows = []
    open_seen = False
    for m in project.milestones:
        done = m.completed is not None and m.completed <= as_of
        if done:
            state = "completed"
        elif not open_seen and project.start <= as_of:
            state, open_seen = "in_progress", True
        else:
            state = "pending"
        line = m.line
        rows.append({"tenant_id": ctx.tenant.id, "milestone_id": m.id, "project_id": project.id,
                     "line_item_id": line.id if line else None, "milestone_name": m.name,
                     "sequence": m.sequence, "planned_date": m.planned,
                     "completed_date": m.completed if done else None, "status": state,
                     "is_billable": line is not None,
                     "amount": money(line.unit_price)
                     if line else None,
                     "currency": project.term.currency if line else None})
    return head, rows
