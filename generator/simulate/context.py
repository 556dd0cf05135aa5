"""What every simulation step of one tenant shares: ids, catalogue, outputs and aggregates."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from generator.config import GeneratorConfig
from generator.ids import IdSequence
from generator.simulate.catalog import Catalog
from generator.simulate.fx import FxMarket
from generator.truth import TruthWriter
from generator.writers import Sink


@dataclass(frozen=True)
class Tenant:
    index: int
    id: str
    name: str
    kind: str
    reporting_currency: str
    currencies: tuple[str, ...]  # currencies customers, vendors and partners use here
    country: str
    fiscal_start: int
    created_at: datetime
    customers: int


@dataclass
class World:
    """Run-wide settings and outputs."""

    seed: int
    as_of: date
    config: GeneratorConfig
    sinks: dict[str, Sink]
    truth: TruthWriter
    market: FxMarket
    progress: Callable[[str], None] = lambda _message: None

    @property
    def as_of_end(self) -> datetime:
        """Exclusive end of the export: anything at or after this did not happen yet."""
        return datetime(self.as_of.year, self.as_of.month, self.as_of.day) + timedelta(days=1)


@dataclass
class TenantContext:
    world: World
    tenant: Tenant
    catalog: Catalog
    people: dict[str, list[str]]
    ids: IdSequence = field(default_factory=IdSequence)
    # (partner_id, month, currency) -> partner-sourced invoice subtotals
    partner_revenue: defaultdict[tuple[str, date, str], Decimal] = field(
        default_factory=lambda: defaultdict(Decimal))
    # (month, metric, segment, currency) -> actual (float: forecasts only need its size)
    actuals: defaultdict[tuple[date, str, str, str], float] = field(
        default_factory=lambda: defaultdict(float))

    @property
    def as_of(self) -> date:
        return self.world.as_of

    @property
    def seed(self) -> int:
        return self.world.seed

    def emit(self, entity: str, row: dict[str, Any]) -> None:
        self.world.sinks[entity].add(row)

    def person(self, role: str, r: random.Random) -> str:
        return r.choice(self.people[role])

    def add_actual(self, when: date, metric: str, segment: str, amount: Decimal | float,
                   currency: str) -> None:
        self.actuals[(when.replace(day=1), metric, segment, currency)] += float(amount)

    def actual(self, month: date, metric: str, segment: str) -> float:
        """The actual in reporting currency at the month's FX rate."""
        rep = self.tenant.reporting_currency
        return sum(self.actuals.get((month, metric, segment, cur), 0.0)
                   * float(self.world.market.rate(cur, rep, month))
                   for cur in self.tenant.currencies)
