"""Every file matches its contract: columns in order, types, required, allowed values,
ranges, unique keys and resolvable foreign keys (clean output has no violations at all)."""

from __future__ import annotations

import json
import re

import pyarrow.parquet as pq
import pytest

from models import load_contracts, load_order

ENTITIES = load_order(load_contracts())


@pytest.mark.parametrize("entity", ENTITIES)
def test_clean_rows_satisfy_the_contract(clean, entity: str) -> None:
    records = clean.records(entity)
    assert records, f"{entity} is empty"
    bad = [(r.number, sorted(r.violations)) for r in records if r.violations]
    assert bad == []
    assert clean.manifest["files"][str(clean.path(entity).relative_to(clean.out))][
        "clean_rows"] == len(records)


def test_every_parquet_file_has_the_exact_schema(clean, contracts) -> None:
    for path in clean.out.rglob("*.parquet"):
        schema = pq.read_schema(path)
        assert schema.equals(contracts[path.stem].arrow_schema), path


def test_text_encodings(clean, contracts) -> None:
    for path in clean.out.rglob("*.csv"):
        data = path.read_bytes()
        assert b"\r" not in data and data.endswith(b"\n")
        data.decode("utf-8")
    for path in clean.out.rglob("*.jsonl"):
        c = contracts[path.stem]
        decimals = [f.name for f in c.fields if f.type.startswith("decimal")]
        for line in path.read_text(encoding="utf-8").splitlines()[:2000]:
            for name in decimals:  # decimals are bare JSON numbers, never strings or exponents
                m = re.search(rf'"{name}":(null|-?\d+(\.\d+)?)[,}}]', line)
                assert m, (path.name, name, line)
            obj = json.loads(line)
            for f in c.fields:
                if f.type == "timestamp" and obj[f.name] is not None:
                    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", obj[f.name])


def test_csv_quoting_round_trips_awkward_names(clean) -> None:
    names = list(clean.frame("customers")["customer_name"])
    assert any("," in n for n in names) or any('"' in n for n in names)
    assert all(n and n == n.strip() for n in names)
