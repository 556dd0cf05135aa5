"""Time each dashboard page's data: cold (first call, empty cache) and warm (served from cache).

    python tests/benchmarks/bench_dashboards.py [WAREHOUSE] [--repeat N] [--by-query]

WAREHOUSE is a working warehouse file whose published snapshot is read (default
$OPSINTEL_WAREHOUSE). Each page's data is every query its page file loads, for an analyst of
every tenant (consolidated marts) and an executive of the first tenant, over the default
period (the last 12 complete months). Cold = the first load after clearing the cache
(DuckDB has the file open); warm = the same load again, from the cache. Prints the median of
``--repeat`` rounds in milliseconds; ``--by-query`` adds each query's own time (run straight,
without the cache) under its page, to find the slow ones. Target: under 300 ms per page, cold,
at SF=10.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from dashboards import cache
from dashboards.access import DataAccess, Viewer
from dashboards.context import Filters, PageContext
from dashboards.filters import load_choices
from dashboards.queries import (
    billing_operations,
    delivery,
    overview,
    partners,
    renewals,
    revenue,
    supply_chain,
)
from dashboards.queries.scope import MartNotBuilt

Query = tuple[Callable[..., Any], tuple[Any, ...]]

# What each page file loads, in order (see dashboards/views/*.py).
PAGE_QUERIES: dict[str, list[Query]] = {
    "overview": [(overview.headline_kpis, ()), (overview.contracts_at_risk, ()),
                 (overview.needs_attention, ()), (revenue.retention_by_month, ())],
    "revenue": [(revenue.mrr_bridge, ()), (revenue.mrr_movements, ()),
                (revenue.retention_by_month, ()), (revenue.cohort_retention, ())]
               + [(revenue.arr_by, (dimension,)) for dimension in ("segment", "region", "product", "partner")],
    "billing_operations": [
        (billing_operations.leakage_by_month, ()), (billing_operations.exceptions_by_type_and_age, ()),
        (billing_operations.exception_rows, ()), (billing_operations.review_queue, ()),
        (billing_operations.unbilled_work_summary, ()), (billing_operations.unbilled_work_rows, ()),
        (billing_operations.first_invoice_delay_by_month, ()),
        (billing_operations.first_invoice_delays, ()), (billing_operations.ar_aging, ()),
        (billing_operations.dso_by_month, ()), (billing_operations.open_invoices, ())],
    "delivery": [(delivery.activation_lags, ()), (delivery.implementation_by_month, ()),
                 (delivery.milestone_slippage, ()), (delivery.slipping_milestones, ()),
                 (delivery.ready_to_bill, ())],
    "supply_chain": [(supply_chain.stock_positions, ()), (supply_chain.lead_times_by_vendor, ()),
                     (supply_chain.purchase_orders, ()), (supply_chain.devices_not_billing, ()),
                     (supply_chain.device_cost_by_customer, ())],
    "renewals": [(renewals.upcoming_renewals, ())],
    "partners": [(partners.settlements_by_partner, ()), (partners.settlement_rows, ()),
                 (partners.channel_margin, ())],
}


def load_page(context: PageContext, queries: list[Query]) -> None:
    for query, extra in queries:
        try:
            cache.cached(query, context.access, context.viewer, context.filters, *extra)
        except MartNotBuilt:
            pass  # the page shows one line; nothing to time


def timed_load(context: PageContext, queries: list[Query]) -> float:
    started = time.perf_counter()
    load_page(context, queries)
    return (time.perf_counter() - started) * 1000


def timed_query(context: PageContext, query: Callable[..., Any], extra: tuple[Any, ...]) -> float:
    started = time.perf_counter()
    try:
        query(context.access, context.viewer, context.filters, *extra)
    except MartNotBuilt:
        pass
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("warehouse", nargs="?", default=os.environ.get("OPSINTEL_WAREHOUSE"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--by-query", action="store_true", help="also time each query of each page")
    args = parser.parse_args()
    if not args.warehouse:
        parser.error("give a warehouse file (or set OPSINTEL_WAREHOUSE)")
    logging.getLogger("streamlit").setLevel(logging.ERROR)

    access = DataAccess(Path(args.warehouse))
    print(f"snapshot {access.snapshot} ({access.snapshot.stat().st_size / 2**20:.0f} MiB)")
    first_tenant = access.tenant_ids()[0]
    viewers = {"analyst (all tenants)": Viewer("bench", "analyst", None),
               f"executive ({first_tenant})": Viewer("bench", "executive", frozenset({first_tenant}))}
    for label, viewer in viewers.items():
        choices = load_choices(access, viewer)
        start, end = choices.default_period
        context = PageContext(viewer, access, Filters(start, end))
        print(f"\n{label}, {start:%Y-%m}..{end:%Y-%m}, median of {args.repeat} (ms)")
        print(f"{'page':<20}{'queries':>8}{'cold':>10}{'warm':>10}")
        for page, queries in PAGE_QUERIES.items():
            cold, warm = [], []
            for _ in range(args.repeat):
                cache.clear()
                cold.append(timed_load(context, queries))
                warm.append(timed_load(context, queries))
            print(f"{page:<20}{len(queries):>8}{statistics.median(cold):>10.1f}"
                  f"{statistics.median(warm):>10.1f}")
            if args.by_query:
                for query, extra in queries:
                    runs = [timed_query(context, query, extra) for _ in range(args.repeat)]
                    label = query.__name__ + (f"({', '.join(map(str, extra))})" if extra else "")
                    print(f"  {label:<34}{statistics.median(runs):>12.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
