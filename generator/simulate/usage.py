"""Metered usage: monthly totals per usage line, then events that add up to them exactly.

Totals are integers in 10^-4 units, so the sum of the exported event quantities of a month is
exactly the quantity that month's usage invoice line bills (unless an error is injected).
Events are drawn with numpy, vectorised per line; the buffer turns many lines into one Arrow
batch for the Parquet writer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from generator.dates import epoch_seconds, month_date, month_index
from generator.writers import Sink

SCALE = 10_000  # decimal(18,4)
# Smallest unit a metric is metered in, in 10^-4 units.
RESOLUTION = {"api_calls": SCALE, "messages": SCALE, "storage_gb": 100, "device_hours": 100}
# Typical monthly consumption per seat (per device for device hours).
PER_UNIT_MONTH = {"api_calls": 3500.0, "storage_gb": 1.6, "messages": 120.0,
                  "device_hours": 690.0}
MAX_INGEST_DELAY_S = 6 * 3600  # events reach the meter before the 1st-of-month billing run


def monthly_totals(rng: np.random.Generator, metric: str, level: float, growth: float,
                   first_month: int, n_months: int) -> tuple[np.ndarray, float]:
    """Scaled integer totals for ``n_months`` from ``first_month``, and the closing level."""
    t = np.arange(n_months)
    months = first_month + t
    season = 1 + 0.06 * np.sin(2 * np.pi * (months % 12) / 12)
    noise = rng.lognormal(0.0, 0.1, size=n_months)
    volume = level * np.exp(growth * t) * season * noise
    res = RESOLUTION[metric]
    totals = np.round(volume * SCALE / res).astype(np.int64) * res
    closing = float(level * math.exp(growth * n_months)) if n_months else level
    return totals, closing


@dataclass
class EventBatch:
    tenant_id: str
    line_id: str
    customer_id: str
    metric: str
    first_seq: int
    quantity: np.ndarray  # int64, 10^-4 units
    occurred: np.ndarray  # int64 epoch seconds
    ingested: np.ndarray


def draw_events(rng: np.random.Generator, months: np.ndarray, totals: np.ndarray, metric: str,
                per_month: float, end_s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Events splitting each month's total exactly; those after ``end_s`` are dropped."""
    keep = totals > 0
    months, totals = months[keep], totals[keep]
    if len(months) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    n = 1 + rng.poisson(max(per_month - 1, 0.0), size=len(months))
    ev_month = np.repeat(np.arange(len(months)), n)
    starts = np.array([epoch_seconds(month_date(int(m))) for m in months], dtype=np.int64)
    ends = np.array([epoch_seconds(month_date(int(m) + 1)) for m in months], dtype=np.int64)
    offsets = (rng.random(ev_month.size) * (ends - starts)[ev_month]).astype(np.int64)
    order = np.lexsort((offsets, ev_month))
    occurred = starts[ev_month] + offsets[order]
    # Split each month's total in metered units along cumulative random weights.
    weights = rng.gamma(2.0, size=ev_month.size)
    last = np.cumsum(n) - 1
    first = last - n + 1
    csum = np.cumsum(weights)
    base = np.where(first > 0, csum[np.maximum(first - 1, 0)], 0.0)
    share = (csum - base[ev_month]) / (csum[last] - base)[ev_month]
    share[last] = 1.0
    res = RESOLUTION[metric]
    units = totals // res
    bounds = np.floor(units[ev_month] * share).astype(np.int64)
    previous = np.concatenate(([0], bounds[:-1]))
    previous[first] = 0
    quantity = (bounds - previous) * res
    delay = rng.exponential(120.0, size=ev_month.size)
    slow = rng.random(ev_month.size) < 0.03
    delay[slow] = rng.uniform(3600, MAX_INGEST_DELAY_S, size=int(slow.sum()))
    ingested = occurred + np.minimum(delay, MAX_INGEST_DELAY_S).astype(np.int64)
    ok = ingested < end_s
    return quantity[ok], occurred[ok], ingested[ok]


class UsageBuffer:
    """Collects event batches and hands the usage sink Arrow tables of ~batch_rows rows."""

    def __init__(self, sink: Sink, batch_rows: int) -> None:
        self.sink = sink
        self.batch_rows = batch_rows
        self._parts: list[EventBatch] = []
        self._rows = 0

    def add(self, batch: EventBatch) -> None:
        if batch.quantity.size == 0:
            return
        self._parts.append(batch)
        self._rows += batch.quantity.size
        if self._rows >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        if not self._parts:
            return
        parts, self._parts, self._rows = self._parts, [], 0
        counts = np.array([p.quantity.size for p in parts])
        idx = pa.array(np.repeat(np.arange(len(parts)), counts))

        def repeated(values: list[str]) -> pa.Array:
            return pa.array(values, pa.string()).take(idx)

        seq = np.concatenate([p.first_seq + np.arange(p.quantity.size) for p in parts])
        event_id = pc.binary_join_element_wise(
            "EVT-", pc.utf8_lpad(pa.array(seq).cast(pa.string()), 9, "0"), "")
        qty = np.concatenate([p.quantity for p in parts])
        words = np.empty((qty.size, 2), dtype=np.int64)
        words[:, 0], words[:, 1] = qty, qty >> 63  # decimal128 = little-endian two's complement
        quantity = pa.Array.from_buffers(pa.decimal128(18, 4), qty.size,
                                         [None, pa.py_buffer(words.tobytes())])

        def stamps(name: str) -> pa.Array:
            secs = np.concatenate([getattr(p, name) for p in parts])
            return pa.array(secs.astype("datetime64[s]").astype("datetime64[us]"))

        table = pa.Table.from_arrays(
            [repeated([p.tenant_id for p in parts]), event_id,
             repeated([p.line_id for p in parts]), repeated([p.customer_id for p in parts]),
             repeated([p.metric for p in parts]), quantity, stamps("occurred"),
             stamps("ingested")],
            schema=self.sink.schema)
        self.sink.add_table(table)


def month_span(start: date, end: date) -> np.ndarray:
    return np.arange(month_index(start), month_index(end), dtype=np.int64)
