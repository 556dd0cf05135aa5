"""The billing domain built on a small generated company: every billing model and data test
passes, and the exceptions recover the generator's injected billing errors.

The deterministic error types (missed, duplicate, billed before activation, wrong price) must be
found exactly: recall = precision = 1 against the ground truth, matching on tenant, line item
and period. The other types are measured and reported. The errors the rules cannot see (price
drift, usage spikes) must raise no exception at all.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import duckdb
import pytest
from dbt_runner import DbtRun, run_dbt

from foundation.warehouse import Warehouse
from generator import generate
from ingestion.loader import load_landing

REPORT = Path(__file__).resolve().parents[1] / "reports" / "billing_exceptions_report.py"


def _report() -> ModuleType:
    spec = importlib.util.spec_from_file_location("billing_exceptions_report", REPORT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@dataclass
class BillingBuild:
    warehouse: Path
    truth: Path
    build: DbtRun

    def query(self, sql: str) -> list[tuple]:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()


@pytest.fixture(scope="module")
def billing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BillingBuild]:
    """Two tenants at scale 0.2, loaded and built with every billing model, unit and data test."""
    base = tmp_path_factory.mktemp("dbt-billing")
    landing, truth = base / "landing", base / "truth"
    generate(landing, truth, tenants=2, scale=0.2, seed=5)
    as_of = json.loads((truth / "manifest.json").read_text())["arguments"]["as_of"]
    warehouse = base / "warehouse" / "opsintel.duckdb"
    results = load_landing(Warehouse(warehouse), landing)
    assert [r.outcome for r in results] == ["loaded"] * len(results)
    build = run_dbt(
        ["build", "--select", "+path:models/marts/billing", "--indirect-selection", "cautious",
         "--exclude", "resource_type:test,path:models/staging",
         "--vars", json.dumps({"as_of_date": as_of})],
        warehouse, base / "dbt",
    )
    yield BillingBuild(warehouse, truth, build)


def test_billing_build_passes_without_warnings(billing: BillingBuild) -> None:
    failed = [(r.node.unique_id, r.status, r.message) for r in billing.build.node_results
              if r.status not in ("success", "pass")]
    assert billing.build.result.success, failed
    assert billing.build.warnings == []
    ran = {r.node.unique_id.split(".")[0] for r in billing.build.node_results}
    assert {"model", "test", "unit_test"} <= ran


def test_deterministic_exceptions_match_the_truth_exactly(billing: BillingBuild) -> None:
    report = _report()
    scores = {s.error_type: s for s in report.score(billing.warehouse,
                                                    billing.truth / "billing_errors.csv")}
    print("\n" + report.markdown(list(scores.values())))
    for error_type in report.DETERMINISTIC:
        s = scores[error_type]
        assert s.truth > 0, f"no {error_type} injected at this scale"
        assert (s.recall, s.precision) == (1.0, 1.0), s
        assert s.amounts_agree == s.matched, s


def test_every_exception_type_is_measured(billing: BillingBuild) -> None:
    report = _report()
    scores = report.score(billing.warehouse, billing.truth / "billing_errors.csv")
    assert [s.error_type for s in scores] == list(report.RULE_VISIBLE_ERRORS)
    for s in scores:
        # Under- / over-billing and late invoices are reported, not required to be exact.
        assert 0.0 <= s.recall <= 1.0 and 0.0 <= s.precision <= 1.0


def test_the_errors_the_rules_cannot_see_raise_no_exception(billing: BillingBuild) -> None:
    report = _report()
    with (billing.truth / "billing_errors.csv").open(newline="") as handle:
        truth = list(csv.DictReader(handle))
    silent = [t for t in truth if t["error_type"] in report.SILENT_ERRORS]
    assert {t["error_type"] for t in silent} == set(report.SILENT_ERRORS)
    exceptions = billing.query(
        "select tenant_id, line_item_id, cast(period_start as varchar), invoice_line_id, "
        "exception_type from marts.fct_billing_exceptions")
    silent_lines = {(t["tenant_id"], t["invoice_line_id"]) for t in silent}
    assert [e for e in exceptions if (e[0], e[3]) in silent_lines] == []
    # nor on their periods, unless another (rule-visible) error hit the same period too
    def period(t: dict) -> tuple:
        return (t["tenant_id"], t["line_item_id"], t["period_start"])

    visible = {period(t) for t in truth if t["error_type"] not in report.SILENT_ERRORS}
    silent_periods = {period(t) for t in silent} - visible
    assert len(silent_periods) > 10
    assert [e for e in exceptions if e[:3] in silent_periods] == []


def test_leakage_is_expected_minus_billed_where_positive(billing: BillingBuild) -> None:
    (negative, total_kpi, total_periods) = billing.query("""
        select
            (select count(*) from marts.kpi_revenue_leakage where leakage_amount < 0),
            (select sum(leakage_amount) from marts.kpi_revenue_leakage),
            (select sum(case when expected_amount > billed_amount_valid
                             then expected_amount - billed_amount_valid else 0 end)
             from intermediate.int_billing_periods_reconciled where is_expected and is_due)
    """)[0]
    assert negative == 0
    assert total_kpi == total_periods > 0


def test_revenue_recognition_ties_out_every_month(billing: BillingBuild) -> None:
    rows = billing.query("""
        select tenant_id, currency, revenue_month
        from marts.kpi_revenue_recognition
        where net_billed_amount - recognized_amount
            <> (deferred_closing_amount - deferred_opening_amount)
               - (unbilled_closing_amount - unbilled_opening_amount)
    """)
    assert rows == []
    (months,) = billing.query("select count(*) from marts.kpi_revenue_recognition")[0]
    assert months > 0
