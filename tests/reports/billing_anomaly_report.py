"""The billing review queue (rules + anomaly model) against the generator's injected errors.

Builds the queue from a warehouse that already holds the billing marts (read-only; nothing is
written unless ``--write``) and scores it against ``billing_errors.csv`` of the truth folder:
precision and recall per error type and overall, precision@50 / @100, for the rules alone, the
rules with the model, and the model alone.

    PYTHONPATH=. python tests/reports/billing_anomaly_report.py \
        --warehouse /tmp/anomaly/opsintel.duckdb --truth data/ground_truth/billing_errors.csv \
        --as-of 2026-10-31

``--choose-threshold 0.95`` first sweeps the model's score threshold and picks the lowest one
at which 95 % of the items the model adds are real errors, then reports with it. Choose on one
seed, report on another (the default threshold was chosen on seed 7; the README reports 42).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

from foundation.warehouse import Warehouse, WarehouseError, connect
from ml.anomaly_evaluation import (
    TruthFileError,
    choose_threshold,
    evaluate_queue,
    format_report,
    sweep_thresholds,
)
from ml.billing_anomalies import MODEL_SHARE, MODEL_THRESHOLD, MissingTablesError
from ml.review_queue import build_review_queue, write_review_queue


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="DuckDB file with the billing marts")
    parser.add_argument("--truth", type=Path, required=True, help="billing_errors.csv of the generator")
    parser.add_argument("--as-of", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    parser.add_argument("--share", type=float, default=MODEL_SHARE,
                        help=f"share of each tenant's lines the model may flag (default {MODEL_SHARE})")
    parser.add_argument("--threshold", type=float, default=MODEL_THRESHOLD,
                        help=f"model score threshold (default {MODEL_THRESHOLD})")
    parser.add_argument("--choose-threshold", type=float, metavar="PRECISION",
                        help="sweep thresholds 0.30-0.60 and use the lowest whose added items "
                             "reach this precision")
    parser.add_argument("--write", action="store_true",
                        help="also replace ml.billing_review_queue in the warehouse")
    args = parser.parse_args(argv)
    if not args.warehouse.exists():
        print(f"error: no warehouse at {args.warehouse}", file=sys.stderr)
        return 1
    try:
        started = time.perf_counter()
        con = connect(args.warehouse, read_only=True)
        try:
            if args.choose_threshold is not None:
                args.threshold = _choose(con, args)
            queue = build_review_queue(con, args.as_of, args.share, args.threshold)
        finally:
            con.close()
        built_s = time.perf_counter() - started
        report = evaluate_queue(queue, args.truth)
        if args.write:
            write_review_queue(Warehouse(args.warehouse), queue)
    except (TruthFileError, MissingTablesError, WarehouseError, duckdb.Error) as exc:
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    print(f"Billing review queue vs injected errors: {args.warehouse}, as of {args.as_of}, "
          f"model threshold {args.threshold:g}, model share {args.share:g}")
    print(format_report(report))
    print(f"queue built in {built_s:.1f} s; by source: "
          + ", ".join(f"{source} {count:,}" for source, count in
                      queue["source"].value_counts().sort_index().items()))
    return 0


def _choose(con: duckdb.DuckDBPyConnection, args: argparse.Namespace) -> float:
    grid = [round(0.30 + 0.01 * i, 2) for i in range(31)]
    queue = build_review_queue(con, args.as_of, args.share, grid[0])
    points = sweep_thresholds(queue, args.truth, grid)
    print("| threshold | items the model adds | real errors | precision |\n|---|---|---|---|")
    for p in points:
        precision = "-" if p.precision is None else f"{p.precision:.3f}"
        print(f"| {p.threshold:.2f} | {p.added:,} | {p.added_right:,} | {precision} |")
    chosen = choose_threshold(points, args.choose_threshold)
    if chosen is None:
        raise SystemExit(f"error: no threshold reaches precision {args.choose_threshold}")
    print(f"chosen threshold: {chosen:.2f} (lowest reaching precision {args.choose_threshold})\n")
    return chosen


if __name__ == "__main__":
    raise SystemExit(main())
