"""Checks derived from an entity contract: one per rule the contract states, all critical.

A raw table that breaks its contract is unusable downstream (wrong columns, missing keys,
values outside what the models handle), so these block the source's build.
"""

from __future__ import annotations

from ingestion.quality.specs import SCHEMA_FRAME, TABLE_FRAME, CheckSpec
from models import LINEAGE_COLUMNS, Contract


def contract_checks(contract: Contract) -> list[CheckSpec]:
    """Columns, column types, primary key, then per field: not null, allowed values, range."""
    checks = [_columns(contract), _column_types(contract), _primary_key(contract)]
    for f in contract.fields:
        if f.required:
            checks.append(_check(contract, f"{f.name}_not_null", "expect_column_values_to_not_be_null",
                                 {"column": f.name}, f"rows with no {f.name}"))
        if f.allowed_values:
            checks.append(_check(contract, f"{f.name}_allowed_values", "expect_column_values_to_be_in_set",
                                 {"column": f.name, "value_set": list(f.allowed_values)},
                                 f"rows with {f.name} not in {', '.join(f.allowed_values)}"))
        if f.min is not None or f.max is not None:
            checks.append(_check(contract, f"{f.name}_in_range", "expect_column_values_to_be_between",
                                 {"column": f.name, "min_value": f.min, "max_value": f.max},
                                 f"rows with {f.name} outside {_range_text(f.min, f.max)}"))
    return checks


def example_columns(contract: Contract) -> tuple[str, ...]:
    """Columns naming a row in messages: the key without ``tenant_id`` (unless that is all)."""
    key = tuple(c for c in contract.primary_key if c != "tenant_id")
    return key or contract.primary_key


def _check(contract: Contract, name: str, expectation: str, kwargs: dict, failing: str,
           frame: str = TABLE_FRAME) -> CheckSpec:
    examples = ("column_name", "column_type") if frame == SCHEMA_FRAME else example_columns(contract)
    return CheckSpec(source=contract.source, entity=contract.name, name=name, severity="critical",
                     expectation=expectation, kwargs=kwargs, failing=failing, frame=frame,
                     example_columns=examples, origin="contract",
                     description=f"contract {contract.name}.yml: {failing} must not occur")


def _columns(contract: Contract) -> CheckSpec:
    expected = contract.field_names + list(LINEAGE_COLUMNS)
    return _check(contract, "columns_match_contract", "expect_table_columns_to_match_set",
                  {"column_set": expected, "exact_match": True},
                  "columns missing or not in the contract")


def _column_types(contract: Contract) -> CheckSpec:
    # Runs on the table's (column_name, column_type) rows; a missing column is the check above's.
    pairs = [[f.name, f.sql_type] for f in contract.fields]
    pairs += [[name, ddl.split()[0]] for name, ddl in LINEAGE_COLUMNS.items()]
    return _check(contract, "column_types_match_contract", "expect_column_pair_values_to_be_in_set",
                  {"column_A": "column_name", "column_B": "column_type", "value_pairs_set": pairs},
                  "columns whose type differs from the contract", frame=SCHEMA_FRAME)


def _primary_key(contract: Contract) -> CheckSpec:
    key = list(contract.primary_key)
    if len(key) == 1:
        expectation, kwargs = "expect_column_values_to_be_unique", {"column": key[0]}
    else:
        expectation, kwargs = "expect_compound_columns_to_be_unique", {"column_list": key}
    return _check(contract, "primary_key_unique", expectation, kwargs,
                  f"rows sharing a primary key ({', '.join(key)})")


def _range_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"[{low}, {high}]"
    return f">= {low}" if low is not None else f"<= {high}"
