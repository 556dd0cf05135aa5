"""The checks run on a generated company: clean data passes every critical check, the
generator's deliberate billing errors show up as warnings with the counts of the ground truth,
and rows broken on purpose fail exactly the checks that guard them."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import LoadedCompany, copy_warehouse

from foundation.warehouse import Warehouse
from ingestion.quality import CheckOutcome, blocked_sources, check_names, run_source_checks
from models import SOURCE_SYSTEMS

# Warning checks and the ground-truth error each one exists to find (file, error_type).
TRUTH_OF_WARNING = {
    ("invoice_lines", "not_billed_before_activation"): ("billing_errors.csv", "billed_before_activation"),
    ("invoice_lines", "period_billed_once"): ("billing_errors.csv", "duplicate_invoice"),
    ("invoice_lines", "unit_price_matches_line_item"): ("billing_errors.csv", "wrong_price"),
    ("invoice_lines", "invoiced_within_30_days"): ("billing_errors.csv", "late_invoice"),
    ("partner_settlements", "commission_matches_rate"): ("settlement_errors.csv", "calculation_error"),
    ("partner_settlements", "commission_rate_matches_partner"): ("settlement_errors.csv", "wrong_rate"),
}


@pytest.fixture(scope="module")
def clean_run(loaded_company: LoadedCompany, tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, Path, list[CheckOutcome]]:
    base = tmp_path_factory.mktemp("clean-run")
    warehouse = copy_warehouse(loaded_company, base / "warehouse")
    docs = base / "quality" / "docs"
    outcomes: list[CheckOutcome] = []
    started = time.perf_counter()
    for source in SOURCE_SYSTEMS:
        outcomes += run_source_checks(warehouse, source, docs_dir=docs)
    print(f"\nquality checks, all {len(SOURCE_SYSTEMS)} sources, SF=0.1, 2 tenants: "
          f"{len(outcomes)} checks in {time.perf_counter() - started:.1f} s")
    return warehouse, docs, outcomes


def test_clean_data_passes_every_critical_check(clean_run) -> None:
    _, _, outcomes = clean_run
    failed_critical = [o.message for o in outcomes if o.severity == "critical" and not o.passed]
    assert failed_critical == []
    assert len(outcomes) == sum(len(v) for s in SOURCE_SYSTEMS for v in check_names(s).values())


def test_warnings_find_exactly_the_injected_errors(clean_run, loaded_company: LoadedCompany) -> None:
    _, _, outcomes = clean_run
    failed = {(o.entity, o.check_name): o for o in outcomes if not o.passed}
    assert set(failed) == set(TRUTH_OF_WARNING)
    for key, (file, error_type) in TRUTH_OF_WARNING.items():
        expected = loaded_company.truth_counts(file, "error_type")[error_type]
        assert expected > 0, error_type
        assert failed[key].unexpected_count == expected, (key, failed[key].message)
        assert failed[key].severity == "warning"


def test_outcomes_land_in_check_results(clean_run) -> None:
    warehouse, _, outcomes = clean_run
    con = warehouse.reader()
    try:
        rows = con.execute("""
            select source, count(*), count(distinct check_run_id), count(*) filter (where not passed),
                   min(batch_id) = max(batch_id)
            from quality.check_results group by source order by source""").fetchall()
        batches = dict(con.execute(
            "select source, batch_id from raw.load_audit where outcome = 'loaded'").fetchall())
        stored_batch = dict(con.execute("select distinct source, batch_id from quality.check_results").fetchall())
        details = con.execute("""select details from quality.check_results
                                 where check_name = 'period_billed_once'""").fetchall()
        assert blocked_sources(con) == {}
    finally:
        con.close()
    per_source = {s: sum(1 for o in outcomes if o.source == s) for s in SOURCE_SYSTEMS}
    failed = {s: sum(1 for o in outcomes if o.source == s and not o.passed) for s in SOURCE_SYSTEMS}
    assert rows == [(s, per_source[s], 1, failed[s], True) for s in sorted(SOURCE_SYSTEMS)]
    assert stored_batch == batches
    assert json.loads(details[0][0])["expectation_type"] == "expect_column_values_to_be_in_set"


def test_data_docs_index_exists_and_stays_offline(clean_run) -> None:
    _, docs, _ = clean_run
    index = docs / "index.html"
    assert index.exists()
    html = index.read_text()
    assert "raw_billing.invoices" in html and "raw_support.support_tickets" in html
    pages = [*docs.rglob("*.html"), *docs.rglob("*.css")]
    assert len(pages) > 2 * len(SOURCE_SYSTEMS)
    assert not [p for p in pages if "great-expectations-web-assets" in p.read_text() or "dataContextId" in p.read_text()]


def _break_billing(warehouse: Warehouse) -> dict[str, object]:
    """Write four known defects into raw billing tables; returns what was broken."""
    with warehouse.writer() as con:
        payment = con.execute("select tenant_id, payment_id from raw.payments order by 1, 2 limit 1").fetchall()[0]
        con.execute("insert into raw.payments select * from raw.payments where tenant_id = ? and payment_id = ?", payment)
        padded = con.execute("select tenant_id, invoice_id from raw.invoices order by 1, 2 limit 1 offset 10").fetchall()[0]
        con.execute("""update raw.invoices set subtotal = subtotal + 10.00, total_amount = total_amount + 10.00
                       where tenant_id = ? and invoice_id = ?""", padded)
        early = con.execute("select tenant_id, invoice_id from raw.invoices order by 1, 2 limit 1 offset 20").fetchall()[0]
        con.execute("""update raw.invoices set due_date = invoice_date - interval 1 day
                       where tenant_id = ? and invoice_id = ?""", early)
        # A month billed in a foreign currency whose published rates are then withdrawn.
        tenant, month, currency = con.execute("""
            select i.tenant_id, date_trunc('month', i.invoice_date)::date, i.currency
            from raw.invoices i join raw.tenants t using (tenant_id)
            where i.currency <> t.reporting_currency order by 1, 2, 3 limit 1""").fetchall()[0]
        deleted = con.execute("""delete from raw.fx_rates where tenant_id = ? and rate_month = ?
                                 and ? in (from_currency, to_currency)""", [tenant, month, currency]).fetchall()[0][0]
        assert deleted > 0
    return {"payment": payment[1], "padded": padded[1], "early": early[1]}


def test_broken_rows_fail_exactly_the_checks_that_guard_them(loaded_company: LoadedCompany, tmp_path: Path) -> None:
    warehouse = copy_warehouse(loaded_company, tmp_path / "warehouse")
    broken = _break_billing(warehouse)
    outcomes = run_source_checks(warehouse, "billing", batch_id="test-batch", docs_dir=tmp_path / "docs")

    failed = {(o.entity, o.check_name): o for o in outcomes if not o.passed}
    injected = {k for k in TRUTH_OF_WARNING if k[0] == "invoice_lines"}
    assert set(failed) - injected == {
        ("payments", "primary_key_unique"),
        ("invoices", "subtotal_equals_sum_of_lines"),
        ("invoices", "due_date_not_before_invoice_date"),
        ("invoices", "fx_rate_for_every_currency_month"),
    }
    # GX counts every row of a repeated key: the original and its copy.
    assert failed[("payments", "primary_key_unique")].unexpected_count == 2
    assert failed[("payments", "primary_key_unique")].severity == "critical"
    assert broken["payment"] in failed[("payments", "primary_key_unique")].message

    lines = failed[("invoices", "subtotal_equals_sum_of_lines")]
    assert (lines.unexpected_count, lines.severity) == (1, "warning")
    sample = lines.details["sample"][0]
    assert sample["invoice_id"] == broken["padded"]
    assert Decimal(sample["subtotal"]) - Decimal(sample["lines_amount"]) == Decimal("10.00")

    due = failed[("invoices", "due_date_not_before_invoice_date")]
    assert (due.unexpected_count, due.severity) == (1, "critical")
    assert due.message == f"raw.invoices: 1 rows with due_date before invoice_date (e.g. {broken['early']})"

    fx = failed[("invoices", "fx_rate_for_every_currency_month")]
    assert (fx.unexpected_count, fx.severity) == (1, "warning")
    # total = subtotal + tax still holds for the padded invoice: both moved by 10.00.
    assert ("invoices", "total_equals_subtotal_plus_tax") not in failed

    con = warehouse.reader()
    try:
        blocked = blocked_sources(con)
        stored = con.execute("""select count(*), count(*) filter (where not passed), min(batch_id)
                                from quality.check_results""").fetchall()[0]
    finally:
        con.close()
    assert list(blocked) == ["billing"]
    assert sorted(m.split(":")[0] for m in blocked["billing"]) == ["raw.invoices", "raw.payments"]
    assert stored == (len(outcomes), len(failed), "test-batch")


def test_latest_run_decides_what_is_blocked(loaded_company: LoadedCompany, tmp_path: Path) -> None:
    warehouse = copy_warehouse(loaded_company, tmp_path / "warehouse")
    with warehouse.writer() as con:
        con.execute("insert into raw.receipts select * from raw.receipts order by receipt_id limit 1")
    run_source_checks(warehouse, "procurement", docs_dir=tmp_path / "docs")
    with warehouse.reader() as con:
        assert list(blocked_sources(con)) == ["procurement"]
    with warehouse.writer() as con:
        con.execute("""delete from raw.receipts where rowid in (
                           select max(rowid) from raw.receipts group by tenant_id, receipt_id having count(*) > 1)""")
    run_source_checks(warehouse, "procurement", docs_dir=tmp_path / "docs")
    with warehouse.reader() as con:
        assert blocked_sources(con) == {}
        runs = con.execute("select count(distinct check_run_id) from quality.check_results").fetchall()[0][0]
    assert runs == 2


def test_a_missing_raw_table_fails_its_checks_with_one_line(loaded_company: LoadedCompany, tmp_path: Path) -> None:
    warehouse = copy_warehouse(loaded_company, tmp_path / "warehouse")
    with warehouse.writer() as con:
        con.execute("drop table raw.support_tickets")
    outcomes = run_source_checks(warehouse, "support", docs_dir=tmp_path / "docs")
    assert outcomes and all(not o.passed for o in outcomes)
    assert all(o.message.startswith("raw.support_tickets: check ") and "could not run" in o.message
               and "does not exist" in o.message and "\n" not in o.message for o in outcomes)
    with warehouse.reader() as con:
        assert list(blocked_sources(con)) == ["support"]
