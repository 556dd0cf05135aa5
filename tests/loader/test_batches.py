"""Batches: idempotent reloads, corrected re-exports, atomic failure, clear stops, audit rows."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hand_made_company import (
    CUSTOMERS,
    PRODUCTS,
    TENANTS,
    snapshot,
    write_csv,
    write_jsonl,
    write_parquet,
)

from foundation.warehouse import Warehouse
from ingestion.loader import batch, load_landing


def audit(warehouse: Warehouse) -> list[dict]:
    con = warehouse.reader()
    try:
        cur = con.execute("select * from raw.load_audit order by finished_at, batch_id, file")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        con.close()


def test_reloading_the_same_files_changes_nothing(landing: Path, warehouse: Warehouse) -> None:
    write_jsonl(landing / "crm" / "customers.jsonl", CUSTOMERS + ["{broken"])
    load_landing(warehouse, landing)
    before = snapshot(warehouse)
    second = {r.source: r for r in load_landing(warehouse, landing)}
    assert {s: r.outcome for s, r in second.items() if r.outcome != "no_files"} == {
        "finance": "loaded", "partners": "loaded", "crm": "loaded", "billing": "loaded"}
    assert snapshot(warehouse) == before  # lineage columns and quarantine included
    crm = second["crm"].tables["customers"]
    assert (crm.rows_read, crm.rows_loaded, crm.rows_quarantined) == (4, 3, 1)
    assert (crm.rows_inserted, crm.rows_updated) == (0, 0)


def test_corrected_re_export_replaces_rows_by_primary_key(landing: Path, warehouse: Warehouse) -> None:
    load_landing(warehouse, landing)
    first_batch = warehouse.reader().execute(
        "select _batch_id from raw.customers where customer_id = 'C2'").fetchone()[0]
    corrected = [dict(c) for c in CUSTOMERS]
    corrected[0]["segment"] = "mid_market"      # T1/C1 changes
    corrected.append({**CUSTOMERS[1], "customer_id": "C3", "customer_name": "New Co"})
    write_jsonl(landing / "crm" / "customers.jsonl", corrected)
    [crm] = load_landing(warehouse, landing, ["crm"])
    table = crm.tables["customers"]
    assert (table.rows_inserted, table.rows_updated, table.rows_loaded) == (1, 1, 4)
    con = warehouse.reader()
    rows = {(t, c): (s, b) for t, c, s, b in con.execute(
        "select tenant_id, customer_id, segment, _batch_id from raw.customers").fetchall()}
    assert len(rows) == 4
    assert rows[("T1", "C1")][0] == "mid_market" and rows[("T1", "C1")][1] == crm.batch_id
    assert rows[("T1", "C2")][1] == first_batch  # untouched row keeps its lineage


def test_a_fixed_file_clears_its_quarantine(landing: Path, warehouse: Warehouse) -> None:
    write_jsonl(landing / "crm" / "customers.jsonl", CUSTOMERS + ["{broken"])
    load_landing(warehouse, landing, ["finance", "partners", "crm"])
    write_jsonl(landing / "crm" / "customers.jsonl", CUSTOMERS)
    load_landing(warehouse, landing, ["crm"])
    assert warehouse.reader().execute("select count(*) from raw.quarantine").fetchone() == (0,)


def test_failure_half_way_leaves_the_warehouse_exactly_as_it_was(
    landing: Path, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_landing(warehouse, landing)
    before = snapshot(warehouse)
    # A re-export with changes in both billing files; the second file's upsert blows up.
    write_parquet(landing / "billing" / "products.parquet", "products",
                  [{**p, "product_name": p["product_name"] + " v2"} for p in PRODUCTS])
    real_upsert = batch._upsert
    calls = {"n": 0}

    def failing_upsert(con, contract, *args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("injected failure half-way through the batch")
        return real_upsert(con, contract, *args)

    monkeypatch.setattr(batch, "_upsert", failing_upsert)
    [billing] = load_landing(warehouse, landing, ["billing"])
    assert calls["n"] == 2  # products were written before the failure
    assert billing.outcome == "failed"
    assert billing.message.startswith("billing/price_book_entries.csv: load failed")
    assert snapshot(warehouse) == before
    rows = [a for a in audit(warehouse) if a["batch_id"] == billing.batch_id]
    assert {(a["file"], a["outcome"]) for a in rows} == {
        ("billing/products.parquet", "rolled_back"),
        ("billing/price_book_entries.csv", "failed"),
    }


def test_missing_required_column_stops_only_that_source(landing: Path, warehouse: Warehouse) -> None:
    fields = [k for k in CUSTOMERS[0] if k != "segment"]
    (landing / "crm" / "customers.jsonl").unlink()
    write_csv(landing / "crm" / "customers.csv", CUSTOMERS, fields)
    results = {r.source: r for r in load_landing(warehouse, landing)}
    assert results["crm"].outcome == "failed"
    assert results["crm"].message.startswith("crm/customers.csv: required column 'segment' is missing")
    assert results["finance"].outcome == results["billing"].outcome == "loaded"
    con = warehouse.reader()
    assert con.execute("select count(*) from raw.customers").fetchone() == (0,)
    assert con.execute("select count(*) from raw.products").fetchone() == (2,)


@pytest.mark.parametrize(
    ("relative", "content", "message_part"),
    [
        ("billing/products.parquet", b"PAR1 this is not parquet", "cannot read Parquet file"),
        ("finance/tenants.csv", b"", "file is empty"),
        ("crm/customers.jsonl", b'{"tenant_id": "T1", "customer_name": "\xff\xfe"}\n', "not valid UTF-8"),
    ],
)
def test_unreadable_file_stops_its_source_with_one_clear_message(
    landing: Path, warehouse: Warehouse, relative: str, content: bytes, message_part: str
) -> None:
    (landing / relative).write_bytes(content)
    source = relative.split("/")[0]
    results = {r.source: r for r in load_landing(warehouse, landing)}
    assert results[source].outcome == "failed"
    assert results[source].message.startswith(relative + ": ")
    assert message_part in results[source].message
    assert "\n" not in results[source].message
    others = [r for s, r in results.items() if s != source and r.outcome != "no_files"]
    assert others and all(r.outcome in ("loaded", "failed") for r in others)


def test_truncated_parquet_is_a_clear_error(landing: Path, warehouse: Warehouse) -> None:
    path = landing / "billing" / "products.parquet"
    path.write_bytes(path.read_bytes()[:-40])
    [billing] = load_landing(warehouse, landing, ["billing"])
    assert billing.outcome == "failed" and billing.message.startswith("billing/products.parquet: cannot read Parquet file")


def test_audit_records_every_file_of_a_batch(landing: Path, warehouse: Warehouse) -> None:
    results = load_landing(warehouse, landing)
    rows = audit(warehouse)
    loaded = [a for a in rows if a["outcome"] == "loaded"]
    assert {a["file"] for a in loaded} == {
        "finance/tenants.csv", "partners/partners.csv", "crm/customers.jsonl",
        "billing/products.parquet", "billing/price_book_entries.csv",
    }
    for a in loaded:
        assert a["rows_read"] == a["rows_loaded"] + a["rows_quarantined"]
        assert a["started_at"] <= a["finished_at"] and len(a["file_sha256"]) == 64 and a["file_bytes"] > 0
    assert {a["batch_id"] for a in loaded} <= {r.batch_id for r in results}


def test_overlapping_writers_queue_instead_of_failing(landing: Path, warehouse: Warehouse) -> None:
    # Three real `opsintel load` processes at once: the writer lock makes them take turns.
    command = [sys.executable, "-m", "opsintel.cli", "load", "--landing", str(landing),
               "--warehouse", str(warehouse.path)]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outcomes = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in outcomes]
    for out, _ in outcomes:
        assert next(line for line in out.splitlines() if line.startswith("finance")).split()[1] == "loaded"
    con = warehouse.reader()
    assert con.execute("select count(*) from raw.tenants").fetchall() == [(2,)]
    assert con.execute("select count(distinct batch_id) from raw.load_audit where source = 'finance'").fetchall() == [(3,)]


def test_a_reader_keeps_working_while_a_load_runs(landing: Path, warehouse: Warehouse, monkeypatch) -> None:
    load_landing(warehouse, landing)
    reader = warehouse.reader()
    inside = threading.Event()
    release = threading.Event()
    real_upsert = batch._upsert

    def slow_upsert(*args):
        inside.set()
        release.wait(30)
        return real_upsert(*args)

    monkeypatch.setattr(batch, "_upsert", slow_upsert)
    write_csv(landing / "finance" / "tenants.csv", TENANTS + [{**TENANTS[0], "tenant_id": "T3"}])
    loader = threading.Thread(target=load_landing, args=(warehouse, landing, ["finance"]))
    loader.start()
    assert inside.wait(30)
    # Mid-load: the open reader and a brand-new read-only connection both answer.
    assert reader.execute("select count(*) from raw.tenants").fetchone() == (2,)
    fresh = warehouse.reader()
    assert fresh.execute("select count(*) from raw.tenants").fetchone() == (2,)
    release.set()
    loader.join(60)
    assert reader.execute("select count(*) from raw.tenants").fetchone() == (2,)  # its snapshot
    assert warehouse.reader().execute("select count(*) from raw.tenants").fetchone() == (3,)
