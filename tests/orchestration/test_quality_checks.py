"""Quality checks as asset checks on the raw tables; a failed critical check blocks its source."""

import json
from pathlib import Path

import dagster as dg
import pytest

from foundation.warehouse import Warehouse
from generator import generate
from ingestion.quality import CheckOutcome, blocked_sources, check_names
from models import contracts_by_source
from orchestration.definitions import build_definitions
from orchestration.defs.ingestion import RAW_TABLES, raw_asset_key
from orchestration.defs.ingestion import assets as ingestion_assets
from orchestration.defs.quality import blocked_excludes, check_results, quality_check_specs
from orchestration.defs.warehouse import warehouse_models
from orchestration.resources import LandingResource, WarehouseResource

defs = build_definitions()

SOURCES = sorted(contracts_by_source())


@pytest.mark.parametrize("source", SOURCES)
def test_each_load_op_declares_every_check_of_its_source(source: str) -> None:
    op_checks = {
        key
        for entity in (c.name for c in contracts_by_source()[source])
        for key in defs.resolve_assets_def(raw_asset_key(entity)).check_keys
    }
    declared = {
        dg.AssetCheckKey(raw_asset_key(entity), name)
        for entity, checks in check_names(source).items()
        for name, _severity in checks
    }
    freshness = {
        dg.AssetCheckKey(raw_asset_key(c.name), "export_fresh") for c in contracts_by_source()[source]
    }
    assert op_checks == declared | freshness
    assert declared, source


def test_a_business_check_is_declared_on_its_table_with_its_severity() -> None:
    specs = {spec.key: spec for spec in quality_check_specs("billing")}
    due = specs[dg.AssetCheckKey(raw_asset_key("invoices"), "due_date_not_before_invoice_date")]
    assert due.metadata["severity"] == "critical"
    lines = specs[dg.AssetCheckKey(raw_asset_key("invoices"), "subtotal_equals_sum_of_lines")]
    assert lines.metadata["severity"] == "warning"


def _outcome(name: str, severity: str, passed: bool, unexpected: int) -> CheckOutcome:
    return CheckOutcome(
        source="billing", entity="invoices", check_name=name, severity=severity, passed=passed,
        unexpected_count=unexpected, element_count=10, message=f"raw.invoices: {unexpected} bad",
        details={},
    )


def test_outcomes_become_check_results_with_severity_and_metadata() -> None:
    specs = quality_check_specs("billing")
    logged: list[str] = []
    outcomes = [
        _outcome("due_date_not_before_invoice_date", "critical", False, 2),
        _outcome("subtotal_equals_sum_of_lines", "warning", False, 1),
        _outcome("total_not_negative", "critical", True, 0),
        _outcome("not_a_declared_check", "critical", False, 5),
    ]

    results = list(check_results(outcomes, specs, logged.append))

    summary = [
        (r.check_name, r.passed, r.severity, {k: v.value for k, v in r.metadata.items()})
        for r in results
    ]
    assert summary == [
        ("due_date_not_before_invoice_date", False, dg.AssetCheckSeverity.ERROR,
         {"unexpected_count": 2, "element_count": 10, "message": "raw.invoices: 2 bad"}),
        ("subtotal_equals_sum_of_lines", False, dg.AssetCheckSeverity.WARN,
         {"unexpected_count": 1, "element_count": 10, "message": "raw.invoices: 1 bad"}),
        ("total_not_negative", True, dg.AssetCheckSeverity.ERROR,
         {"unexpected_count": 0, "element_count": 10, "message": "raw.invoices: 0 bad"}),
    ]
    assert all(r.asset_key == raw_asset_key("invoices") for r in results)
    assert logged == [
        "critical check failed: raw.invoices due_date_not_before_invoice_date: raw.invoices: 2 bad",
        "warning check failed: raw.invoices subtotal_equals_sum_of_lines: raw.invoices: 1 bad",
        ("billing: check 'not_a_declared_check' on invoices is not declared (reload the "
        "definitions); its result is in quality.check_results"),
    ]


def test_blocked_sources_exclude_everything_downstream_of_their_tables() -> None:
    logged: list[str] = []

    args = blocked_excludes(
        {"support": ["raw.support_tickets: 3 tickets with no status"],
         "partners": ["raw.partners: a", "raw.partner_settlements: b"]},
        logged.append,
    )

    assert args == [
        "--exclude",
        "source:raw.partners+ source:raw.partner_settlements+ source:raw.support_tickets+",
    ]
    assert logged == [
        ("not building models downstream of source partners (2 raw tables): 2 critical check(s) "
        "failed: raw.partners: a (+1 more)"),
        ("not building models downstream of source support (1 raw tables): 1 critical check(s) "
        "failed: raw.support_tickets: 3 tickets with no status"),
    ]
    assert blocked_excludes({}, logged.append) == []


def _edit_first_jsonl_row(path: Path, **changes: str) -> None:
    lines = path.read_text().splitlines()
    row = json.loads(lines[0])
    row.update(changes)
    lines[0] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n")


def test_a_critical_failure_blocks_only_its_sources_models(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    generate(landing, tmp_path / "truth", tenants=1, scale=0.02, seed=7)
    # Billing: an invoice due before it is issued (critical). Support: a ticket resolved
    # before it was opened (a warning: reported, blocks nothing). Both load fine.
    first_invoice = json.loads((landing / "billing" / "invoices.jsonl").read_text().splitlines()[0])
    assert first_invoice["invoice_date"] > "2026-01-01"
    _edit_first_jsonl_row(landing / "billing" / "invoices.jsonl", due_date="2026-01-01")
    first_ticket = json.loads((landing / "support" / "support_tickets.jsonl").read_text().splitlines()[0])
    _edit_first_jsonl_row(
        landing / "support" / "support_tickets.jsonl", resolved_at="2020-01-01T00:00:00"
    )
    assert first_ticket["opened_at"] > "2020-01-01T00:00:00"
    path = tmp_path / "wh" / "opsintel.duckdb"
    selection = RAW_TABLES | dg.AssetSelection.groups("staging", "intermediate", "marts_core")

    result = dg.materialize(
        [*ingestion_assets, warehouse_models()],
        selection=selection,
        resources={
            "warehouse": WarehouseResource(path=str(path)),
            "landing": LandingResource(path=str(landing)),
            "dbt": defs.resources["dbt"],
        },
    )

    assert result.success
    failed = {
        (c.asset_key.to_user_string(), c.check_name, c.severity)
        for c in result.get_asset_check_evaluations()
        if not c.passed and c.asset_key.path[0] == "raw"
    }
    # The sample data carries billing and partner errors on purpose: those are warnings.
    assert {f for f in failed if f[2] == dg.AssetCheckSeverity.ERROR} == {
        ("raw/invoices", "due_date_not_before_invoice_date", dg.AssetCheckSeverity.ERROR),
    }
    assert ("raw/support_tickets", "resolved_not_before_opened", dg.AssetCheckSeverity.WARN) in failed
    with Warehouse(path).reader() as con:
        assert list(blocked_sources(con)) == ["billing"]
    # Expected built set, from Dagster's own lineage: every selected dbt model that is not
    # downstream of a billing raw table.
    graph = defs.resolve_asset_graph()
    billing_raw = {raw_asset_key(c.name) for c in contracts_by_source()["billing"]}
    downstream_of_billing = {
        key for key in warehouse_models().keys if _has_ancestor_in(graph, key, billing_raw)
    }
    selected_models = selection.resolve(graph) & set(warehouse_models().keys)
    built = {
        e.asset_key for e in result.get_asset_materialization_events()
        if e.asset_key in warehouse_models().keys
    }
    assert built == selected_models - downstream_of_billing
    names = {key.to_user_string() for key in built}
    assert "staging/stg_support__support_tickets" in names  # a warning does not block
    assert "staging/stg_crm__customers" in names
    assert "marts/dim_partner" in names
    assert "staging/stg_billing__invoices" not in names
    assert "marts/dim_product" not in names


def _has_ancestor_in(graph, key: dg.AssetKey, targets: set[dg.AssetKey]) -> bool:
    """Whether a model reads one of ``targets`` through models. The walk stops at raw tables:
    their own dependencies are foreign keys between sources, not what dbt builds from."""
    seen: set[dg.AssetKey] = set()
    stack = [key]
    while stack:
        for parent in graph.get(stack.pop()).parent_keys:
            if parent in targets:
                return True
            if parent not in seen and parent.path[0] != "raw":
                seen.add(parent)
                stack.append(parent)
    return False
