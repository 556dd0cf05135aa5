"""The generator's entry point: validate arguments, open one writer per entity, simulate every
tenant in turn, close everything and write the manifest."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from generator.config import DEFAULT_CONFIG, GeneratorConfig
from generator.dates import HISTORY_START, add_months
from generator.dirty import DirtyInjector
from generator.layout import FILE_FORMATS, relative_path
from generator.rng import py_rng
from generator.simulate.context import World
from generator.simulate.fx import FxMarket
from generator.simulate.tenants import make_tenants
from generator.simulate.usage import UsageBuffer
from generator.simulate.world import simulate_tenant
from generator.truth import TruthWriter
from generator.writers import Sink
from models import load_contracts, load_order


@dataclass
class GenerationSummary:
    rows: dict[str, int]  # clean rows per entity
    dirty_rows: dict[str, int]  # extra bad rows per entity
    files: list[str]  # relative to the landing folder
    seconds: float
    billing_errors: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values()) + sum(self.dirty_rows.values())


def _validate(out: Path, truth_out: Path, tenants: int, scale: float, dirty_rate: float,
              as_of: date) -> None:
    if not isinstance(tenants, int) or isinstance(tenants, bool) or tenants < 1:
        raise ValueError(f"tenants must be an integer >= 1, got {tenants!r}")
    if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not scale > 0:
        raise ValueError(f"scale must be a number > 0, got {scale!r}")
    if not isinstance(dirty_rate, (int, float)) or not 0.0 <= dirty_rate <= 0.5:
        raise ValueError(f"dirty_rate must be between 0 and 0.5, got {dirty_rate!r}")
    if not isinstance(as_of, date) or as_of < add_months(HISTORY_START, 6):
        raise ValueError(f"as_of must be a date on or after {add_months(HISTORY_START, 6)}, "
                         f"got {as_of!r}")
    a, b = out.resolve(), truth_out.resolve()
    if a == b or a in b.parents or b in a.parents:
        raise ValueError("truth_out must be a separate folder, neither inside nor around out")


def generate(out: Path, truth_out: Path, *, tenants: int = 10, scale: float = 1.0,
             seed: int = 42, dirty_rate: float = 0.0, as_of: date = date(2026, 10, 31),
             progress: Callable[[str], None] | None = None,
             config: GeneratorConfig = DEFAULT_CONFIG) -> GenerationSummary:
    """Write a landing folder of source exports and the ground truth behind them.

    Same arguments give byte-identical files. Customers total ``round(1000 * scale)`` spread
    unevenly over ``tenants``; ``dirty_rate`` adds that share of extra bad rows to every file.
    """
    out, truth_out = Path(out), Path(truth_out)
    _validate(out, truth_out, tenants, scale, dirty_rate, as_of)
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    contracts = load_contracts()
    missing = set(contracts) ^ set(FILE_FORMATS)
    if missing:
        raise RuntimeError(f"landing formats and contracts disagree on {sorted(missing)}")
    out.mkdir(parents=True, exist_ok=True)
    truth = TruthWriter(truth_out)
    sinks: dict[str, Sink] = {}
    for name in load_order(contracts):
        contract = contracts[name]
        fmt = FILE_FORMATS[name]
        dirty = (DirtyInjector(contract, fmt, dirty_rate, py_rng(seed, "dirty", name))
                 if dirty_rate > 0 else None)
        batch = config.parquet_batch_rows if fmt == "parquet" else config.text_batch_rows
        sinks[name] = Sink(contract, out, truth, dirty, batch)
    customers = max(1, round(config.customers_per_scale * scale))
    world = World(seed=seed, as_of=as_of, config=config, sinks=sinks, truth=truth,
                  market=FxMarket(seed, add_months(as_of, 3)), progress=say)
    usage = UsageBuffer(sinks["usage_events"], config.usage_batch_rows)
    for tenant in make_tenants(tenants, customers, seed):
        simulate_tenant(world, tenant, usage)
        say(f"{tenant.id} {tenant.name}: {tenant.customers:,} customers simulated")
    usage.flush()
    for sink in sinks.values():
        sink.close()
        say(f"{sink.contract.source}: {sink.contract.name} {sink.clean_rows:,} rows"
            + (f" (+{sink.dirty_rows:,} dirty)" if sink.dirty_rows else ""))
    seconds = time.perf_counter() - started
    summary = GenerationSummary(
        rows={n: s.clean_rows for n, s in sinks.items()},
        dirty_rows={n: s.dirty_rows for n, s in sinks.items()},
        files=[relative_path(contracts[n]) for n in sinks],
        seconds=round(seconds, 3),
        billing_errors=dict(sorted(truth.error_counts.items())))
    truth.close({
        "arguments": {"tenants": tenants, "scale": scale, "seed": seed, "dirty_rate": dirty_rate,
                      "as_of": as_of.isoformat(), "customers": customers},
        "files": {relative_path(contracts[n]): {"entity": n, "clean_rows": s.clean_rows,
                                               "dirty_rows": s.dirty_rows,
                                               "rows": s.records}
                  for n, s in sinks.items()},
    })
    return summary
