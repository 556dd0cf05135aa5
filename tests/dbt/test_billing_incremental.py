"""The incremental billing facts: after a second, later export is loaded into the same
warehouse (new invoices, payments and usage, and changed rows), an incremental run leaves
fct_invoice_lines and fct_usage_daily exactly as a full refresh builds them, and it processed
only what was (re)loaded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dbt_runner import run_dbt

from foundation.warehouse import Warehouse
from generator import generate
from ingestion.loader import load_landing

FACTS = ("fct_invoice_lines", "fct_usage_daily")
# No lookback: the incremental run must take exactly the rows loaded after the first build.
VARS = json.dumps({"as_of_date": "2026-10-31", "billing_lookback_hours": 0})


@dataclass
class IncrementalRuns:
    first_rows: dict[str, int]
    incremental_rows: dict[str, list[tuple]]
    incremental_sql: dict[str, str]
    changed_rows: dict[str, int]
    refreshed_rows: dict[str, list[tuple]]


def _select(facts: tuple[str, ...]) -> list[str]:
    return ["--select", *[f"+{fact}" for fact in facts], "--exclude", "resource_type:test",
            "resource_type:unit_test"]


def _snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {fact: con.execute(f"select * from marts.{fact} order by all").fetchall()
                for fact in FACTS}
    finally:
        con.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IncrementalRuns]:
    base = tmp_path_factory.mktemp("dbt-billing-incremental")
    warehouse = base / "warehouse" / "opsintel.duckdb"
    work = base / "dbt"

    # September's export, built from scratch.
    generate(base / "sep", base / "sep-truth", tenants=1, scale=0.15, seed=3,
             as_of=date(2026, 9, 30))
    assert {r.outcome for r in load_landing(Warehouse(warehouse), base / "sep")} == {"loaded"}
    first = run_dbt(["build", *_select(FACTS), "--vars", VARS], warehouse, work)
    assert first.result.success and first.warnings == []
    first_rows = {fact: len(rows) for fact, rows in _snapshot(warehouse).items()}

    before = _raw_rows(warehouse)
    # October's export of the same company: more rows and changed ones, upserted by the loader.
    generate(base / "oct", base / "oct-truth", tenants=1, scale=0.15, seed=3,
             as_of=date(2026, 10, 31))
    assert {r.outcome for r in load_landing(Warehouse(warehouse), base / "oct")} == {"loaded"}
    incremental = run_dbt(["build", *_select(FACTS), "--vars", VARS], warehouse, work)
    assert incremental.result.success and incremental.warnings == []
    compiled = {r.node.name: r.node.compiled_code for r in incremental.node_results
                if r.node.name in FACTS}
    incremental_rows = _snapshot(warehouse)
    changed = _changed(before, _raw_rows(warehouse))

    refreshed = run_dbt(["build", "--select", *FACTS, "--full-refresh", "--vars", VARS,
                         "--exclude", "resource_type:test", "resource_type:unit_test"],
                        warehouse, work)
    assert refreshed.result.success and refreshed.warnings == []
    yield IncrementalRuns(first_rows, incremental_rows, compiled, changed, _snapshot(warehouse))


_TRACKED = {"invoices": "invoice_id", "invoice_lines": "invoice_line_id",
            "usage_events": "event_id"}


def _raw_rows(warehouse: Path) -> dict[str, dict[str, tuple]]:
    """Every tracked raw row by key (lineage columns left out)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        out = {}
        for table, key in _TRACKED.items():
            rel = con.sql(f"select * exclude (_batch_id, _source_file, _source_row, _loaded_at) "
                          f"from raw.{table}")
            position = rel.columns.index(key)
            out[table] = {row[position]: row for row in rel.fetchall()}
        return out
    finally:
        con.close()


def _changed(before: dict[str, dict[str, tuple]],
             after: dict[str, dict[str, tuple]]) -> dict[str, int]:
    return {table: sum(1 for key, row in before[table].items() if after[table].get(key) != row)
            for table in _TRACKED}


@pytest.mark.parametrize("fact", FACTS)
def test_incremental_run_equals_full_refresh(runs: IncrementalRuns, fact: str) -> None:
    assert runs.incremental_rows[fact] == runs.refreshed_rows[fact]
    assert len(runs.refreshed_rows[fact]) > runs.first_rows[fact] > 0


def test_second_export_changed_existing_rows(runs: IncrementalRuns) -> None:
    assert all(count > 0 for count in runs.changed_rows.values()), runs.changed_rows


def test_second_run_took_the_incremental_path(runs: IncrementalRuns) -> None:
    assert set(runs.incremental_sql) == set(FACTS)
    for fact, sql in runs.incremental_sql.items():
        assert "loaded_after" in sql, f"{fact} was not built incrementally"
