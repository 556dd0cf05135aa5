"""KPI rows carry `_batch_ids` back to raw.load_audit: the dbt test holds every KPI row to it,
a batch id leads to the files of its load, and a corrected re-export shows up in exactly the
KPI rows it changed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from dbt_runner import run_dbt

from foundation.warehouse import Warehouse
from ingestion.loader import load_landing
from reporting.explain import explain

if TYPE_CHECKING:
    from conftest import BuiltCompany

LINEAGE_TEST = "assert_kpi_batch_ids_traced"


def _lineage_test_status(run) -> list[str]:
    return [r.status for r in run.node_results if r.node.name == LINEAGE_TEST]


def test_the_build_checks_every_kpi_row_is_traced(company: BuiltCompany) -> None:
    assert _lineage_test_status(company.build) == ["pass"]


def test_the_lineage_test_covers_every_kpi_model(company: BuiltCompany) -> None:
    manifest = json.loads((company.work / "target" / "manifest.json").read_text())
    kpi_models = {node_id for node_id, node in manifest["nodes"].items()
                  if node["resource_type"] == "model" and node["name"].startswith("kpi_")}
    [lineage_test] = [node for node in manifest["nodes"].values() if node["name"] == LINEAGE_TEST]
    assert len(kpi_models) >= 37
    assert kpi_models <= set(lineage_test["depends_on"]["nodes"])


def test_the_lineage_test_fails_on_an_unknown_or_missing_batch(company: BuiltCompany, tmp_path: Path) -> None:
    copy = company.copy_to(tmp_path)
    with Warehouse(copy.path).writer() as con:
        con.execute("update marts.kpi_dso set _batch_ids = 'billing-19990101T000000-00000000' "
                    "where aging_month = (select min(aging_month) from marts.kpi_dso)")
        con.execute("update marts.kpi_revenue_leakage set _batch_ids = null "
                    "where leakage_month = (select max(leakage_month) from marts.kpi_revenue_leakage)")
        broken = con.execute("select count(*) from marts.kpi_revenue_leakage where _batch_ids is null").fetchall()[0][0]
    run = run_dbt(["test", "--select", LINEAGE_TEST], copy.path, copy.work)
    assert _lineage_test_status(run) == ["fail"]
    failures = next(r.failures for r in run.node_results if r.node.name == LINEAGE_TEST)
    assert failures == broken + 1  # every leakage row without lineage, plus the one unknown batch


def test_a_kpi_batch_id_leads_to_its_load_audit_files(company: BuiltCompany) -> None:
    with company.reader() as con:
        tenant, month, batch_ids = con.execute("""
            select tenant_id, leakage_month, _batch_ids from marts.kpi_revenue_leakage
            where leakage_amount > 0 order by leakage_amount desc limit 1""").fetchall()[0]
        audit = {batch: (source, files) for batch, source, files in con.execute("""
            select batch_id, any_value(source), list_sort(list(file)) from raw.load_audit
            where outcome = 'loaded' group by batch_id""").fetchall()}
        result = explain(con, "revenue_leakage", tenant, month)
    ids = batch_ids.split(", ")
    assert ids == sorted(set(ids))
    # Leakage compares line items (billing) and their contracts (crm) with invoices (billing).
    sources = {audit[b][0] for b in ids}
    assert {"billing", "crm"} <= sources
    billing_files = next(audit[b][1] for b in ids if audit[b][0] == "billing")
    assert "billing/subscription_line_items.jsonl" in billing_files
    assert "billing/invoices.jsonl" in billing_files
    shown = {b["batch_id"]: (b["source"], b["files"].split(", ")) for b in result.batches}
    assert set(shown) <= set(ids)
    for batch, (source, files) in shown.items():
        assert (source, files) == audit[batch]


def _raise_price_of_one_recurring_line(landing: Path) -> tuple[str, str]:
    """Edit the billing export in place: the recurring line running longest costs 10 more."""
    path = landing / "billing" / "subscription_line_items.jsonl"
    lines = path.read_text().splitlines()
    candidates = []
    for i, text in enumerate(lines):
        try:
            record = json.loads(text)
        except json.JSONDecodeError:  # the export carries a few malformed rows on purpose
            continue
        if record.get("billing_model") == "recurring" and isinstance(record.get("unit_price"), float):
            candidates.append((record["end_date"] or "9999", i, record))
    _, i, record = max(candidates, key=lambda c: (c[0], c[1]))
    price = re.search(r'"unit_price":([0-9.]+)', lines[i]).group(1)
    lines[i] = lines[i].replace(f'"unit_price":{price}', f'"unit_price":{float(price) + 10:.4f}')
    path.write_text("\n".join(lines) + "\n")
    return record["tenant_id"], record["line_item_id"]


def test_a_corrected_export_shows_its_batch_in_the_kpi_rows_it_changed(company: BuiltCompany, tmp_path: Path) -> None:
    copy = company.copy_to(tmp_path)
    tenant, line_item = _raise_price_of_one_recurring_line(copy.landing)
    with copy.reader() as con:
        before = dict(con.execute("select tenant_id || month_start, closing_mrr from marts.kpi_mrr_bridge").fetchall())
    [result] = load_landing(Warehouse(copy.path), copy.landing, ["billing"])
    assert result.outcome == "loaded"
    with copy.reader() as con:
        updated = con.execute("select sum(rows_updated) from raw.load_audit where batch_id = ?",
                              [result.batch_id]).fetchall()[0][0]
    assert updated == 1  # only the corrected row takes the new batch id
    run = run_dbt(["run", "--select", "+kpi_mrr_bridge", "+kpi_retention"], copy.path, copy.work)
    assert run.result.success
    Warehouse(copy.path).publish()
    with copy.reader() as con:
        rows = con.execute("""
            select tenant_id, tenant_id || month_start, closing_mrr, _batch_ids
            from marts.kpi_mrr_bridge order by all""").fetchall()
        # A customer-month rests on the lines active in it and in the month before.
        line_months = {m for (m,) in con.execute("""
            select distinct tenant_id || month_start from (
                select tenant_id, month_start from marts.fct_subscription_line_months
                where tenant_id = $t and line_item_id = $l
                union all
                select tenant_id, cast(month_start + interval 1 month as date)
                from marts.fct_subscription_line_months where tenant_id = $t and line_item_id = $l
            ) where month_start in (select month_start from marts.kpi_mrr_bridge where tenant_id = $t)""",
            {"t": tenant, "l": line_item}).fetchall()}
    new_batch = result.batch_id
    with_new_batch = {key for _, key, _, ids in rows if new_batch in ids.split(", ")}
    changed = {key for _, key, mrr, _ in rows if before.get(key) != mrr}
    assert changed and changed <= with_new_batch
    # Exactly the months the edited line is behind carry the new batch, in its tenant only.
    assert with_new_batch == line_months
    assert all(tenant_id == tenant for tenant_id, key, _, _ in rows if key in with_new_batch)
