"""The dbt sources YAML and the contracts must agree; the check must catch any drift."""

from __future__ import annotations

import dataclasses

from models import load_contracts
from models.dbt_sources import disagreements, read_sources_yaml, render_sources_yaml, source_tables
from models.freshness import load_freshness_rules


def test_committed_sources_yaml_agrees_with_the_contracts() -> None:
    text = read_sources_yaml()
    assert disagreements(load_contracts(), text) == []
    assert text == render_sources_yaml()


def test_a_changed_type_is_reported() -> None:
    contracts = dict(load_contracts())
    payments = contracts["payments"]
    changed = tuple(dataclasses.replace(f, type="decimal(18,4)") if f.name == "amount" else f for f in payments.fields)
    contracts["payments"] = dataclasses.replace(payments, fields=changed)
    assert disagreements(contracts, read_sources_yaml()) == [
        "payments.amount: data_type 'decimal(18,2)', contract says 'decimal(18,4)'"
    ]


def test_missing_and_extra_columns_and_tables_are_reported() -> None:
    contracts = dict(load_contracts())
    tenants = contracts["tenants"]
    contracts["tenants"] = dataclasses.replace(tenants, fields=tenants.fields[:-1])
    del contracts["forecasts"]
    problems = disagreements(contracts, read_sources_yaml())
    assert "tenants.created_at: column is not in the contract" in problems
    assert "source table 'forecasts' has no contract" in problems
    edited = read_sources_yaml().replace("  - name: fx_rates\n", "  - name: fx_rate\n")
    problems = disagreements(load_contracts(), edited)
    assert "contract 'fx_rates' has no source table" in problems


def test_every_source_table_takes_its_systems_freshness() -> None:
    tables = source_tables(read_sources_yaml())
    contracts = load_contracts()
    assert set(tables) == set(contracts)
    # Hand-written from models/freshness.yml: billing nightly, partners weekly.
    assert tables["invoices"]["config"] == {
        "loaded_at_field": "_loaded_at",
        "freshness": {
            "warn_after": {"count": 30, "period": "hour"},
            "error_after": {"count": 48, "period": "hour"},
        },
    }
    assert tables["partner_settlements"]["config"]["freshness"] == {
        "warn_after": {"count": 192, "period": "hour"},
        "error_after": {"count": 336, "period": "hour"},
    }
    for name, table in tables.items():
        assert table["config"]["loaded_at_field"] == "_loaded_at", name


def test_changed_freshness_is_reported_and_rendered() -> None:
    rules = dict(load_freshness_rules())
    rules["billing"] = dataclasses.replace(rules["billing"], warn_after_hours=36.0, error_after_hours=72.5)
    billing_tables = sorted(c.name for c in load_contracts().values() if c.source == "billing")

    problems = disagreements(load_contracts(), read_sources_yaml(), rules)

    assert problems == [f"{name}: freshness differs from models/freshness.yml (billing)" for name in billing_tables]
    invoices = source_tables(render_sources_yaml(rules=rules))["invoices"]
    assert invoices["config"]["freshness"] == {
        "warn_after": {"count": 36, "period": "hour"},
        "error_after": {"count": 4350, "period": "minute"},  # 72.5 h is not whole hours
    }
