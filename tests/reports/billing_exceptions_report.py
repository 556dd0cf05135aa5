"""Recall and precision of the billing exceptions against the generator's ground truth.

Generates a company, loads it, builds the billing marts with dbt in a temporary folder, then
compares ``marts.fct_billing_exceptions`` with ``billing_errors.csv`` of the truth folder.
Only this evaluation reads the truth; the pipeline never does.

A detected exception matches a true error when tenant, error type, line item and period start
agree (truth rows are per line item and period; a duplicate names the duplicate invoice line).
For matched pairs the report also says how often the expected and billed amounts agree.

    PYTHONPATH=. python tests/reports/billing_exceptions_report.py                  # SF 1, 10 tenants, seed 42
    PYTHONPATH=. python tests/reports/billing_exceptions_report.py --scale 0.3 --tenants 3 --seed 7
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

# The errors the rules exist to find, the only ones scored here. The generator also injects
# errors the rules cannot see (SILENT_ERRORS: they sit in the line item's price and in the
# metering, the references the rules compare with); the anomaly model's report scores those
# (tests/reports/billing_anomaly_report.py).
RULE_VISIBLE_ERRORS = (
    "missed_invoice", "duplicate_invoice", "billed_before_activation", "wrong_price",
    "under_billing", "over_billing", "late_invoice",
)
SILENT_ERRORS = ("price_drift", "usage_spike")
# Errors whose signature in the data is exact: the pipeline must find all of them and only them.
DETERMINISTIC = ("missed_invoice", "duplicate_invoice", "billed_before_activation", "wrong_price")


@dataclass(frozen=True)
class TypeScore:
    error_type: str
    truth: int
    detected: int
    matched: int
    amounts_agree: int

    @property
    def recall(self) -> float:
        return self.matched / self.truth if self.truth else 1.0

    @property
    def precision(self) -> float:
        return self.matched / self.detected if self.detected else 1.0


def score(warehouse: Path, truth_csv: Path) -> list[TypeScore]:
    """Per error type: truth and detected counts, matches, and matches whose amounts agree."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute(
            "create temp table truth as select * from read_csv(?, header = true, all_varchar = true)",
            [str(truth_csv)],
        )
        rows = con.execute("""
            with t as (
                select distinct tenant_id, error_type, line_item_id,
                    cast(period_start as date) as period_start,
                    cast(expected_amount as decimal(18, 2)) as expected_amount,
                    cast(billed_amount as decimal(18, 2)) as billed_amount
                from truth
            ),
            d as (
                select tenant_id, exception_type as error_type, line_item_id, period_start,
                    expected_amount, billed_amount
                from marts.fct_billing_exceptions
            ),
            matched as (
                select t.error_type,
                    count(*) as matched,
                    sum(case when t.expected_amount = d.expected_amount
                             and t.billed_amount = d.billed_amount then 1 else 0 end) as agree
                from t
                inner join d
                    on t.tenant_id = d.tenant_id and t.error_type = d.error_type
                    and t.line_item_id = d.line_item_id and t.period_start = d.period_start
                group by t.error_type
            )
            select types.error_type,
                (select count(*) from t where t.error_type = types.error_type),
                (select count(*) from d where d.error_type = types.error_type),
                coalesce(matched.matched, 0),
                coalesce(matched.agree, 0)
            from (select unnest(?) as error_type) as types
            left join matched on matched.error_type = types.error_type
        """, [list(RULE_VISIBLE_ERRORS)]).fetchall()
    finally:
        con.close()
    order = {name: i for i, name in enumerate(RULE_VISIBLE_ERRORS)}
    scores = [TypeScore(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]
    return sorted(scores, key=lambda s: order[s.error_type])


def markdown(scores: list[TypeScore]) -> str:
    lines = ["| error type | true errors | detected | matched | recall | precision | amounts agree |",
             "|---|---|---|---|---|---|---|"]
    for s in scores:
        lines.append(f"| {s.error_type} | {s.truth:,} | {s.detected:,} | {s.matched:,} | "
                     f"{s.recall:.3f} | {s.precision:.3f} | {s.amounts_agree:,} / {s.matched:,} |")
    return "\n".join(lines)


def build_and_score(base: Path, tenants: int, scale: float, seed: int,
                    with_tests: bool = False) -> tuple[list[TypeScore], dict[str, float]]:
    """Generate, load and build into ``base``; return the scores and the seconds per step."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dbt"))
    from dbt_runner import run_dbt

    from foundation.warehouse import Warehouse
    from generator import generate
    from ingestion.loader import load_landing

    seconds: dict[str, float] = {}
    landing, truth = base / "landing", base / "truth"
    started = time.perf_counter()
    generate(landing, truth, tenants=tenants, scale=scale, seed=seed)
    seconds["generate"] = time.perf_counter() - started
    as_of = json.loads((truth / "manifest.json").read_text())["arguments"]["as_of"]

    started = time.perf_counter()
    warehouse = base / "warehouse" / "opsintel.duckdb"
    results = load_landing(Warehouse(warehouse), landing)
    failed = [r for r in results if r.outcome != "loaded"]
    if failed:
        raise RuntimeError(f"load failed: {failed}")
    seconds["load"] = time.perf_counter() - started

    started = time.perf_counter()
    args = ["build", "--select", "+path:models/marts/billing", "--indirect-selection", "cautious",
            "--vars", json.dumps({"as_of_date": as_of})]
    if not with_tests:
        args += ["--exclude", "resource_type:test", "resource_type:unit_test"]
    run = run_dbt(args, warehouse, base / "dbt")
    if not run.result.success:
        failures = [r.node.unique_id for r in run.node_results if r.status not in ("success", "pass")]
        raise RuntimeError(f"dbt build failed: {failures[:20]}")
    seconds["dbt build"] = time.perf_counter() - started
    return score(warehouse, truth / "billing_errors.csv"), seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--with-tests", action="store_true",
                        help="run the billing data tests in the build too")
    parser.add_argument("--keep", type=Path, default=None,
                        help="work in this folder and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        scores, seconds = build_and_score(args.keep, args.tenants, args.scale, args.seed,
                                          args.with_tests)
    else:
        with tempfile.TemporaryDirectory(prefix="opsintel-billing-report-") as tmp:
            scores, seconds = build_and_score(Path(tmp), args.tenants, args.scale, args.seed,
                                              args.with_tests)
    print(f"Billing exceptions vs ground truth: SF {args.scale:g}, {args.tenants} tenants, "
          f"seed {args.seed}")
    print(markdown(scores))
    print("  ".join(f"{step} {s:.1f} s" for step, s in seconds.items()))
    exact = all(s.recall == 1.0 and s.precision == 1.0 for s in scores
                if s.error_type in DETERMINISTIC)
    return 0 if exact else 1


if __name__ == "__main__":
    raise SystemExit(main())
