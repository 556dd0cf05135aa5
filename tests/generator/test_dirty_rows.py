"""--dirty adds extra bad rows, each breaking exactly the one rule the truth names."""

from __future__ import annotations

from collections import Counter

import pytest

from models import load_contracts, load_order

PARQUET_KINDS = {"unknown_foreign_key", "not_allowed_value", "out_of_range", "duplicate_key"}


@pytest.fixture(scope="module")
def listed(dirty) -> dict[str, dict[int, tuple[str, str]]]:
    truth = dirty.truth_frame("dirty_rows.csv")
    out: dict[str, dict[int, tuple[str, str]]] = {}
    for e, f, n, k, fld in zip(truth["entity"], truth["file"], truth["row_number"],
                               truth["kind"], truth["field"]):
        assert f == str(dirty.path(e).relative_to(dirty.out))
        assert int(n) not in out.setdefault(e, {})
        out[e][int(n)] = (k, fld)
    return out


@pytest.mark.parametrize("entity", load_order(load_contracts()))
def test_each_dirty_row_breaks_exactly_its_rule(dirty, listed, entity: str) -> None:
    mine = listed.get(entity, {})
    records = dirty.records(entity)
    for rec in records:
        if rec.number in mine:
            assert rec.violations == {mine[rec.number]}, (rec.number, rec.violations)
        else:
            assert not rec.violations, (rec.number, rec.violations)
    meta = dirty.manifest["files"][str(dirty.path(entity).relative_to(dirty.out))]
    assert meta["rows"] == len(records) == meta["clean_rows"] + meta["dirty_rows"]
    assert meta["dirty_rows"] == len(mine)
    if meta["clean_rows"] >= 100:  # about rate x rows
        assert abs(len(mine) - 0.08 * meta["clean_rows"]) <= 1
    if dirty.path(entity).suffix == ".parquet":
        assert {k for k, _ in mine.values()} <= PARQUET_KINDS


def test_duplicates_follow_a_clean_first_occurrence(dirty, listed) -> None:
    contracts = load_contracts()
    for entity, rows in listed.items():
        records = dirty.records(entity)
        pk = contracts[entity].primary_key
        first: dict[tuple, int] = {}
        for rec in records:
            first.setdefault(tuple(rec.values[k] for k in pk), rec.number)
        for number, (kind, _) in rows.items():
            if kind != "duplicate_key":
                continue
            rec = records[number - 1]
            original = records[first[tuple(rec.values[k] for k in pk)] - 1]
            assert original.number < number and not original.violations
            assert original.values != rec.values


def test_all_kinds_appear(dirty, listed) -> None:
    kinds = Counter(k for rows in listed.values() for k, _ in rows.values())
    assert set(kinds) == {"malformed_value", "wrong_type", "missing_required",
                          "unknown_foreign_key", "not_allowed_value", "out_of_range",
                          "duplicate_key"}
    assert sum(kinds.values()) == sum(dirty.manifest["dirty_rows_per_kind"].values())


def test_dirty_values_fail_duckdb_casts(dirty, listed) -> None:
    """A loader casting with DuckDB rejects every malformed/wrong-type CSV cell too."""
    import csv

    import duckdb

    con = duckdb.connect()
    contracts = load_contracts()
    checked = 0
    for entity, rows in listed.items():
        path = dirty.path(entity)
        if path.suffix != ".csv":
            continue
        with path.open(newline="", encoding="utf-8") as fh:
            records = list(csv.DictReader(fh))
        for number, (kind, field) in rows.items():
            if kind not in ("malformed_value", "wrong_type"):
                continue
            f = contracts[entity].field(field)
            sql_type = f.sql_type
            value = records[number - 1][field]
            assert con.execute(f"select try_cast(? as {sql_type})", [value]).fetchone()[0] \
                is None, (entity, field, value)
            checked += 1
    assert checked > 10
