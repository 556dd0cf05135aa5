"""Checks are derived from the contracts and the expectations files, without running GX."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from ingestion.quality import ExpectationsFileError, check_names
from ingestion.quality.business import EXPECTATIONS_DIR
from ingestion.quality.suites import check_specs
from models import SOURCE_SYSTEMS, contracts_by_source, load_contracts
from models.contract import CONTRACTS_DIR


def test_invoices_get_exactly_one_check_per_contract_rule() -> None:
    # Counted by hand from models/contracts/invoices.yml: 12 required fields (contract_id is
    # optional), allowed values on currency and status, a minimum on tax_amount.
    contract_names = [s.name for s in check_specs("billing") if s.entity == "invoices" and s.origin == "contract"]
    required = ["tenant_id", "invoice_id", "invoice_number", "customer_id", "invoice_date", "due_date",
                "currency", "subtotal", "tax_amount", "total_amount", "status", "issued_at"]
    assert sorted(contract_names) == sorted(
        ["columns_match_contract", "column_types_match_contract", "primary_key_unique"]
        + [f"{f}_not_null" for f in required]
        + ["currency_allowed_values", "status_allowed_values", "tax_amount_in_range"])


def test_primary_key_check_covers_the_compound_key() -> None:
    fx = next(s for s in check_specs("finance") if s.entity == "fx_rates" and s.name == "primary_key_unique")
    assert fx.expectation == "expect_compound_columns_to_be_unique"
    assert fx.kwargs == {"column_list": ["tenant_id", "rate_month", "from_currency", "to_currency"]}
    assert fx.severity == "critical"


def test_changing_a_contract_changes_the_checks(tmp_path: Path) -> None:
    contracts_dir = tmp_path / "contracts"
    shutil.copytree(CONTRACTS_DIR, contracts_dir)
    path = contracts_dir / "invoices.yml"
    raw = yaml.safe_load(path.read_text())
    subtotal = next(f for f in raw["fields"] if f["name"] == "subtotal")
    subtotal["min"] = 0
    status = next(f for f in raw["fields"] if f["name"] == "status")
    status["allowed_values"] = ["open", "paid"]
    path.write_text(yaml.safe_dump(raw, sort_keys=False))

    before = {s.name: s for s in check_specs("billing") if s.entity == "invoices"}
    after = {s.name: s for s in check_specs("billing", contracts=load_contracts(contracts_dir)) if s.entity == "invoices"}
    assert set(after) - set(before) == {"subtotal_in_range"}
    assert after["subtotal_in_range"].kwargs == {"column": "subtotal", "min_value": 0, "max_value": None}
    assert after["status_allowed_values"].kwargs["value_set"] == ["open", "paid"]
    assert before["status_allowed_values"].kwargs["value_set"] != ["open", "paid"]


@pytest.mark.parametrize("source", SOURCE_SYSTEMS)
def test_check_names_are_valid_unique_and_cover_every_raw_table(source: str) -> None:
    names = check_names(source)
    assert set(names) == {c.name for c in contracts_by_source()[source]}
    for entity, checks in names.items():
        just_names = [n for n, _ in checks]
        assert len(just_names) == len(set(just_names)), entity
        assert all(n.replace("_", "").isalnum() and n.isascii() for n in just_names)
        assert {sev for _, sev in checks} <= {"critical", "warning"}


def test_check_names_match_the_declared_severities() -> None:
    billing = dict(check_names("billing")["invoices"])
    assert billing["due_date_not_before_invoice_date"] == "critical"
    assert billing["subtotal_equals_sum_of_lines"] == "warning"
    assert billing["fx_rate_for_every_currency_month"] == "warning"
    assert dict(check_names("billing")["invoice_lines"])["period_billed_once"] == "warning"


def _expectations_dir(tmp_path: Path, entry: dict) -> Path:
    directory = tmp_path / "expectations"
    directory.mkdir()
    (directory / "billing.yml").write_text(yaml.safe_dump({"source": "billing", "checks": [entry]}))
    return directory


GOOD_ENTRY = {"entity": "invoices", "name": "x_check", "severity": "warning",
              "expect": "expect_column_values_to_not_be_null", "kwargs": {"column": "status"},
              "failing": "rows with no status"}


@pytest.mark.parametrize(("change", "complaint"), [
    ({"severity": "high"}, "field 'severity' must be one of"),
    ({"entity": "customers"}, "field 'entity' must be a raw table of billing"),
    ({"name": "bad name"}, "field 'name' must match"),
    ({"name": "primary_key_unique"}, "check name invoices.primary_key_unique is already used"),
])
def test_a_bad_expectations_entry_is_named_in_one_line(tmp_path: Path, change: dict, complaint: str) -> None:
    directory = _expectations_dir(tmp_path, {**GOOD_ENTRY, **change})
    with pytest.raises(ExpectationsFileError) as raised:
        check_specs("billing", expectations_dir=directory)
    message = str(raised.value)
    assert "billing.yml" in message and complaint in message and "\n" not in message


def test_a_good_expectations_entry_becomes_a_check(tmp_path: Path) -> None:
    specs = check_specs("billing", expectations_dir=_expectations_dir(tmp_path, GOOD_ENTRY))
    declared = [s for s in specs if s.origin == "billing.yml"]
    assert [(s.entity, s.name, s.severity) for s in declared] == [("invoices", "x_check", "warning")]


def test_every_source_has_an_expectations_file() -> None:
    assert sorted(p.stem for p in EXPECTATIONS_DIR.glob("*.yml")) == sorted(SOURCE_SYSTEMS)


def test_gx_suites_carry_every_check_with_its_severity() -> None:
    from ingestion.quality.suites import frame_suites, source_suite

    specs = check_specs("billing")
    suite = source_suite(specs, "billing")
    assert len(suite.expectations) == len(specs)
    by_name = {e.meta["check_name"] + "@" + e.meta["entity"]: e for e in suite.expectations}
    assert by_name["subtotal_equals_sum_of_lines@invoices"].severity.value == "warning"
    assert by_name["primary_key_unique@invoices"].expectation_type == "expect_compound_columns_to_be_unique"
    per_frame = frame_suites(specs)
    assert sum(len(s.expectations) for s in per_frame.values()) == len(specs)
    assert "raw_billing.invoices__subtotal_equals_sum_of_lines" in per_frame


def test_an_expectation_gx_does_not_know_is_a_clear_error(tmp_path: Path) -> None:
    from ingestion.quality.suites import frame_suites

    directory = _expectations_dir(tmp_path, {**GOOD_ENTRY, "expect": "expect_the_moon"})
    with pytest.raises(ExpectationsFileError, match=r"billing.yml: check invoices.x_check: expect_the_moon cannot be built"):
        frame_suites(check_specs("billing", expectations_dir=directory))


def test_docs_path_follows_the_env_var_else_sits_beside_the_warehouse(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from foundation.settings import QUALITY_DOCS_ENV
    from foundation.settings import quality_docs_path as docs_path

    monkeypatch.delenv(QUALITY_DOCS_ENV, raising=False)
    assert docs_path(tmp_path / "data" / "warehouse" / "opsintel.duckdb") == (tmp_path / "data" / "quality" / "docs").resolve()
    monkeypatch.setenv(QUALITY_DOCS_ENV, str(tmp_path / "elsewhere"))
    assert docs_path(tmp_path / "data" / "warehouse" / "opsintel.duckdb") == (tmp_path / "elsewhere").resolve()
