"""The staging layer follows the contracts: one model per raw table, YAML rendered from them."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from models import dbt_sources, load_contracts
from models.dbt_sources import (
    REPO_ROOT,
    STAGING_DIR,
    foreign_key_columns,
    models_yml_path,
    read_models_yaml,
    render_models_yaml,
    render_staging_sql,
    singular,
    source_systems,
    staging_columns,
    staging_model_name,
    staging_models,
    staging_sql_path,
    stale_files,
    surrogate_key_column,
)

CONTRACTS = load_contracts()
DBT_PROJECT = REPO_ROOT / "dbt_project"


def test_committed_staging_yaml_is_the_rendering_of_the_contracts() -> None:
    assert stale_files() == [], "run `opsintel contracts dbt`"
    assert read_models_yaml() == render_models_yaml()


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_committed_staging_sql_is_the_rendering_of_the_contract(name: str) -> None:
    contract = CONTRACTS[name]
    assert staging_sql_path(contract).read_text() == render_staging_sql(contract, CONTRACTS)


def test_one_staging_folder_per_source_system_with_its_two_yaml_files() -> None:
    folders = sorted(p.name for p in STAGING_DIR.iterdir() if p.is_dir())
    assert folders == source_systems(CONTRACTS)
    assert {"billing", "crm", "finance", "usage"} <= set(folders)
    for system in folders:
        assert sorted(p.name for p in (STAGING_DIR / system).glob("*.yml")) == [
            f"_{system}__models.yml", f"_{system}__sources.yml"]
    assert staging_sql_path(CONTRACTS["invoice_lines"]) == (
        STAGING_DIR / "billing" / "stg_billing__invoice_lines.sql")


def test_a_stale_or_left_over_yaml_file_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    staging = tmp_path / "staging"
    monkeypatch.setattr(dbt_sources, "STAGING_DIR", staging)
    monkeypatch.setattr(dbt_sources, "REPO_ROOT", tmp_path)
    dbt_sources.write_dbt_yaml(scaffold_missing_models=False)
    assert dbt_sources.stale_files() == []
    (staging / "crm" / "_crm__models.yml").write_text("version: 2\n")
    (staging / "_staging__sources.yml").write_text("version: 2\n")
    assert dbt_sources.stale_files() == [
        "staging/crm/_crm__models.yml is not what the contracts render",
        "staging/_staging__sources.yml is not rendered from any contract; remove it",
    ]


def test_a_changed_contract_changes_the_models_yaml() -> None:
    contracts = dict(CONTRACTS)
    customers = contracts["customers"]
    fields = tuple(
        dataclasses.replace(f, allowed_values=(*f.allowed_values, "startup")) if f.name == "segment" else f
        for f in customers.fields
    )
    contracts["customers"] = dataclasses.replace(customers, fields=fields)
    assert render_models_yaml(contracts, "crm") != models_yml_path("crm").read_text()
    assert render_models_yaml(contracts, "billing") == models_yml_path("billing").read_text()


def test_one_staging_model_per_contract_and_nothing_else() -> None:
    on_disk = {p.stem for p in STAGING_DIR.rglob("*.sql")}
    assert on_disk == {staging_model_name(c) for c in CONTRACTS.values()}
    assert staging_model_name(CONTRACTS["invoice_lines"]) == "stg_billing__invoice_lines"
    assert staging_model_name(CONTRACTS["fx_rates"]) == "stg_finance__fx_rates"


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_staging_sql_reads_its_raw_table_dedupes_on_the_key_and_keys_it(name: str) -> None:
    contract = CONTRACTS[name]
    sql = staging_sql_path(contract).read_text()
    assert re.findall(r"source\(([^)]*)\)", sql) == [f"'raw', '{name}'"]
    pk = "[" + ", ".join(f"'{c}'" for c in contract.primary_key) + "]"
    assert f"deduplicate_latest('source', {pk})" in sql
    key = surrogate_key_column(contract)
    assert re.search(rf"generate_surrogate_key\({re.escape(pk)}\) }}}}\s+as {key},", sql)
    assert sql.rstrip().endswith("select * from renamed")
    assert sql == sql.lower(), f"{name}: keep SQL lowercase"
    for column in staging_columns(contract, CONTRACTS):
        assert re.search(rf"\b{column['name']}\b", sql), f"{name}: {column['name']} not selected"


def test_source_appears_only_in_staging() -> None:
    for path in (DBT_PROJECT / "models").rglob("*.sql"):
        if "source(" in path.read_text():
            assert path.parent.parent == STAGING_DIR, f"{path} calls source() outside staging"


def test_every_model_and_column_is_described_and_keyed() -> None:
    models = staging_models(read_models_yaml())
    assert len(models) == len(CONTRACTS)
    for model in models:
        assert model["description"].strip()
        assert model["data_tests"][0]["unique_combination_of_columns"]
        key = model["columns"][0]
        assert key["name"].endswith("_key") and key["data_tests"] == ["unique", "not_null"]
        for column in model["columns"]:
            assert column["description"].strip(), f"{model['name']}.{column['name']}"


@pytest.mark.parametrize(
    ("entity", "expected"),
    [("opportunities", "opportunity"), ("invoice_lines", "invoice_line"),
     ("price_book_entries", "price_book_entry"), ("fx_rates", "fx_rate"), ("tenants", "tenant")],
)
def test_singular(entity: str, expected: str) -> None:
    assert singular(entity) == expected


def test_foreign_key_columns_are_named_like_the_parent_key() -> None:
    assert foreign_key_columns(CONTRACTS["invoice_lines"], CONTRACTS) == {
        "invoice_id": "invoice_key",
        "line_item_id": "subscription_line_item_key",
        "product_id": "product_key",
    }
    assert foreign_key_columns(CONTRACTS["receipts"], CONTRACTS)["po_id"] == "purchase_order_key"
    assert surrogate_key_column(CONTRACTS["fx_rates"]) == "fx_rate_key"


def test_two_references_to_one_entity_fall_back_to_the_field_name() -> None:
    invoices = CONTRACTS["invoices"]
    extra = dataclasses.replace(invoices.field("customer_id"), name="bill_to_customer_id", required=False)
    contracts = dict(CONTRACTS, invoices=dataclasses.replace(invoices, fields=(*invoices.fields, extra)))
    keys = foreign_key_columns(contracts["invoices"], contracts)
    assert keys["customer_id"] == "customer_key"
    assert keys["bill_to_customer_id"] == "bill_to_customer_key"
