"""The dbt sources YAML and the contracts must agree; the check must catch any drift."""

from __future__ import annotations

import dataclasses

from models import load_contracts
from models.dbt_sources import SOURCES_YML, disagreements, render_sources_yaml


def test_committed_sources_yaml_agrees_with_the_contracts() -> None:
    text = SOURCES_YML.read_text()
    assert disagreements(load_contracts(), text) == []
    assert text == render_sources_yaml()


def test_a_changed_type_is_reported() -> None:
    contracts = dict(load_contracts())
    payments = contracts["payments"]
    changed = tuple(dataclasses.replace(f, type="decimal(18,4)") if f.name == "amount" else f for f in payments.fields)
    contracts["payments"] = dataclasses.replace(payments, fields=changed)
    assert disagreements(contracts, SOURCES_YML.read_text()) == [
        "payments.amount: data_type 'decimal(18,2)', contract says 'decimal(18,4)'"
    ]


def test_missing_and_extra_columns_and_tables_are_reported() -> None:
    contracts = dict(load_contracts())
    tenants = contracts["tenants"]
    contracts["tenants"] = dataclasses.replace(tenants, fields=tenants.fields[:-1])
    del contracts["forecasts"]
    problems = disagreements(contracts, SOURCES_YML.read_text())
    assert "tenants.created_at: column is not in the contract" in problems
    assert "source table 'forecasts' has no contract" in problems
    edited = SOURCES_YML.read_text().replace("  - name: fx_rates\n", "  - name: fx_rate\n")
    problems = disagreements(load_contracts(), edited)
    assert "contract 'fx_rates' has no source table" in problems
