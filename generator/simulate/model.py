"""The simulation's own objects: a customer's life as contracts, lines, amendments, projects.

These carry the *true* timeline (including what happens after ``as_of``); exporters apply the
as-of view (only what was signed / happened on or before ``as_of``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np

from generator.simulate.catalog import PERIOD_MONTHS, Product


@dataclass
class Customer:
    index: int
    id: str
    name: str
    segment: str
    region: str
    country: str
    industry: str
    currency: str
    partner_id: str | None
    created_at: datetime
    health: float  # latent satisfaction: drives tickets, escalations and usage trend
    friction: float  # latent onboarding difficulty: activation lag and go-live slip
    pays_late: float  # latent payment behaviour
    device_customer: bool
    prospect: bool
    first_signed: date  # when the first contract is signed (prospects never sign)


@dataclass
class Line:
    id: str
    term: Term
    product: Product
    model: str
    period: str
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    price_id: str | None
    start: date
    end: date
    created_on: date  # signing date of the contract or amendment that created it
    amendment_id: str | None = None
    bundle_id: str | None = None
    planned_end: date | None = None  # end before an amendment cut it short
    end_signed: date | None = None  # when that amendment was signed
    usage_months: np.ndarray | None = None  # month indexes with consumption
    usage_totals: np.ndarray | None = None  # metered quantity per month, x 10^4 (exact)
    milestone_done: date | None = None
    # Silent billing errors (see simulate/silent_errors.py): the billing system's unit price
    # when it drifted from the agreed one, and what the meter recorded when a fault inflated
    # a month. The agreed price and the true consumption stay in unit_price / usage_totals.
    billing_unit_price: Decimal | None = None
    metered_totals: np.ndarray | None = None

    @property
    def billed_unit_price(self) -> Decimal:
        """The unit price the billing system holds (and bills)."""
        return self.unit_price if self.billing_unit_price is None else self.billing_unit_price

    @property
    def metered(self) -> np.ndarray | None:
        """Monthly totals as metered (exported as events, billed): true usage unless a fault."""
        return self.usage_totals if self.metered_totals is None else self.metered_totals

    @property
    def months_per_period(self) -> int:
        return PERIOD_MONTHS[self.period]

    @property
    def monthly_value(self) -> Decimal:
        """MRR contribution: price net of discount, normalised to a month."""
        if self.model != "recurring":
            return Decimal(0)
        return (self.quantity * self.unit_price * (100 - self.discount_pct) / 100
                / self.months_per_period)

    def end_as_of(self, as_of: date) -> date:
        if self.end_signed is not None and self.end_signed > as_of:
            return self.planned_end  # type: ignore[return-value]
        return self.end


@dataclass
class Amendment:
    id: str
    term: Term
    kind: str
    signed: date
    effective: date
    mrr_delta: Decimal
    description: str
    pct: float = 0.0


@dataclass
class Term:
    """One contract: a new first term or a renewal."""

    id: str
    customer: Customer
    contract_type: str
    signed: date
    planned_start: date
    activated: date
    start: date
    end: date
    months: int
    frequency: str
    payment_terms: int
    currency: str
    auto_renew: bool
    partner_id: str | None
    opportunity_id: str | None
    renewed_from: Term | None
    lines: list[Line] = field(default_factory=list)
    amendments: list[Amendment] = field(default_factory=list)
    outcome: str | None = None
    renewal: Term | None = None
    bundle_id: str | None = None
    devices: dict[str, int] = field(default_factory=dict)  # device product key -> units
    renewal_record: dict[str, Any] | None = None  # drivers and outcome at the term's end

    @property
    def period_months(self) -> int:
        return PERIOD_MONTHS[self.frequency]

    def mrr_on(self, d: date) -> Decimal:
        return sum((ln.monthly_value for ln in self.lines if ln.start <= d < ln.end), Decimal(0))


@dataclass
class Milestone:
    id: str
    name: str
    sequence: int
    planned: date
    completed: date | None
    line: Line | None


@dataclass
class Project:
    id: str
    term: Term
    kind: str
    start: date
    planned_go_live: date
    go_live: date
    manager: str
    milestones: list[Milestone] = field(default_factory=list)

    @property
    def slip_days(self) -> int:
        return (self.go_live - self.planned_go_live).days


@dataclass
class Ticket:
    id: str
    opened: datetime
    first_response: datetime | None
    resolved: datetime | None
    priority: str
    category: str
    escalated: bool
    csat: int | None
    contract_id: str | None


@dataclass
class Opportunity:
    kind: str  # new_business / expansion / renewal
    created: date
    close: date
    outcome: str  # won / lost / pending (decided after as_of)
    amount: Decimal
    id: str | None = None  # assigned when the deal closes a contract, else on export
