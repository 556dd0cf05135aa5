"""Fixtures for the generator tests: small generated datasets and an independent reader.

The reader does not reuse the generator's code: it parses every cell strictly by the
contract (CSV text, JSON types, Parquet schema) and lists each record's rule violations, so
tests can check both that clean rows are clean and that each dirty row breaks exactly the
rule the ground truth names.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from generator import generate
from generator.config import DEFAULT_CONFIG
from models import Contract, Field, load_contracts, load_order

AS_OF = date(2026, 10, 31)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_INT = re.compile(r"^-?\d+$")
_DEC = re.compile(r"^-?(\d+)(?:\.(\d+))?$")
_DECIMAL_TYPE = re.compile(r"^decimal\((\d+),(\d+)\)$")


class Bad(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _decimal(text: str, f: Field) -> Decimal:
    m = _DEC.match(text)
    p, s = map(int, _DECIMAL_TYPE.match(f.type).groups())  # type: ignore[union-attr]
    if not m or len(m.group(2) or "") > s or len(m.group(1).lstrip("0")) > p - s:
        raise ValueError(text)
    return Decimal(text)


def parse_text(text: str, f: Field) -> Any:
    """A CSV cell by the contract type; raises Bad(kind) when it cannot be read."""
    try:
        if f.type == "string":
            return text
        if f.type.startswith("int"):
            if not _INT.match(text) or not -(2**31) <= int(text) < 2**31:
                raise ValueError(text)
            return int(text)
        if f.type.startswith("decimal"):
            return _decimal(text, f)
        if f.type == "date":
            if not _DATE.match(text):
                raise ValueError(text)
            return date.fromisoformat(text)
        if f.type == "timestamp":
            if not _TS.match(text):
                raise ValueError(text)
            return datetime.fromisoformat(text)
        if f.type == "bool":
            return {"true": True, "false": False}[text]
    except (ValueError, KeyError, InvalidOperation):
        numeric = f.type.startswith(("int", "decimal"))
        raise Bad("wrong_type" if numeric and re.search("[A-Za-z]", text) else
                  "malformed_value") from None
    raise AssertionError(f.type)


def parse_json(value: Any, f: Field) -> Any:
    """A JSON value by the contract type: JSON-type mismatches are wrong_type."""
    if f.type in ("string", "date", "timestamp"):
        if not isinstance(value, str):
            raise Bad("wrong_type")
        return parse_text(value, f)
    if f.type == "bool":
        if not isinstance(value, bool):
            raise Bad("wrong_type")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise Bad("wrong_type")
    if f.type.startswith("int"):
        if not isinstance(value, int):
            raise Bad("wrong_type")
        return value
    return _decimal(format(value, "f") if isinstance(value, Decimal) else str(value), f)


@dataclass
class Record:
    number: int  # 1-based record index in the file
    values: dict[str, Any]
    violations: set[tuple[str, str]] = field(default_factory=set)  # (kind, field)


class Landing:
    """Reads a generated landing folder back, entity by entity, in load order."""

    def __init__(self, out: Path, truth: Path) -> None:
        self.out, self.truth = out, truth
        self.contracts = load_contracts()
        self.manifest = json.loads((truth / "manifest.json").read_text())
        self._records: dict[str, list[Record]] = {}
        self._frames: dict[str, pd.DataFrame] = {}

    def path(self, entity: str) -> Path:
        c = self.contracts[entity]
        return next((self.out / c.source).glob(f"{entity}.*"))

    def raw_records(self, entity: str) -> list[dict[str, Any]]:
        c = self.contracts[entity]
        path = self.path(entity)
        if path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.reader(fh))
            assert rows[0] == c.field_names, f"{entity}: header"
            return [dict(zip(c.field_names, r, strict=True)) for r in rows[1:]]
        if path.suffix == ".jsonl":
            out = []
            for line in path.read_text(encoding="utf-8").splitlines():
                obj = json.loads(line, parse_float=Decimal)
                assert list(obj) == c.field_names, f"{entity}: keys"
                out.append(obj)
            return out
        table = pq.read_table(path)
        assert table.schema.equals(c.arrow_schema), f"{entity}: parquet schema"
        return table.to_pylist()

    def records(self, entity: str) -> list[Record]:
        """Every record with its violations; referenced entities are read first."""
        if entity in self._records:
            return self._records[entity]
        c = self.contracts[entity]
        suffix = self.path(entity).suffix
        out: list[Record] = []
        for i, raw in enumerate(self.raw_records(entity), start=1):
            rec = Record(i, {})
            for f in c.fields:
                value = raw[f.name]
                if value is None or value == "":
                    rec.values[f.name] = None
                    if f.required:
                        rec.violations.add(("missing_required", f.name))
                    continue
                try:
                    if suffix == ".csv":
                        typed = parse_text(value, f)
                    elif suffix == ".jsonl":
                        typed = parse_json(value, f)
                    else:
                        typed = value
                except Bad as bad:
                    rec.values[f.name] = None
                    rec.violations.add((bad.kind, f.name))
                    continue
                rec.values[f.name] = typed
                if f.allowed_values and typed not in f.allowed_values:
                    rec.violations.add(("not_allowed_value", f.name))
                if (f.min is not None and typed < f.min) or (f.max is not None and typed > f.max):
                    rec.violations.add(("out_of_range", f.name))
            out.append(rec)
        seen: set[tuple] = set()
        pk = "+".join(c.primary_key)
        for rec in out:
            key = tuple(rec.values[k] for k in c.primary_key)
            if key in seen:
                rec.violations.add(("duplicate_key", pk))
            seen.add(key)
        for f in c.fields:
            if not f.references:
                continue
            keys = self.keys(f.references)
            for rec in out:
                v = rec.values[f.name]
                if v is None:
                    continue
                ref = v if f.references == "tenants" else (rec.values["tenant_id"], v)
                if ref not in keys:
                    rec.violations.add(("unknown_foreign_key", f.name))
        self._records[entity] = out
        return out

    def keys(self, entity: str) -> set:
        c = self.contracts[entity]
        recs = [r for r in self.records(entity) if not r.violations]
        if entity == "tenants":
            return {r.values["tenant_id"] for r in recs}
        return {(r.values["tenant_id"], r.values[c.key_field]) for r in recs}

    def frame(self, entity: str) -> pd.DataFrame:
        """Clean (violation-free) records as a DataFrame with Python-typed values."""
        if entity not in self._frames:
            c = self.contracts[entity]
            rows = [r.values for r in self.records(entity) if not r.violations]
            self._frames[entity] = pd.DataFrame(rows, columns=c.field_names, dtype=object)
        return self._frames[entity]

    def truth_frame(self, name: str) -> pd.DataFrame:
        return pd.read_csv(self.truth / name, dtype=str, keep_default_na=False)

    def all_entities(self) -> list[str]:
        return load_order(self.contracts)


def run(base: Path, **kwargs: Any) -> Landing:
    out, truth = base / "out", base / "truth"
    generate(out, truth, **kwargs)
    return Landing(out, truth)


@pytest.fixture(scope="session")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Landing:
    """Three tenants, 200 customers, no dirty rows: the reference dataset for most tests."""
    return run(tmp_path_factory.mktemp("clean"), tenants=3, scale=0.2, seed=7)


@pytest.fixture(scope="session")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> Landing:
    return run(tmp_path_factory.mktemp("dirty"), tenants=2, scale=0.1, seed=11, dirty_rate=0.08)


@pytest.fixture(scope="session")
def contracts() -> dict[str, Contract]:
    return load_contracts()


@pytest.fixture(scope="session")
def silent_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Landing, Landing]:
    """One company generated without and with frequent silent billing errors (price drift,
    usage spikes), everything else equal: what the silent errors change is the difference."""
    base = tmp_path_factory.mktemp("silent")
    rates = DEFAULT_CONFIG.errors

    def with_rates(drift: float, spike: float) -> Landing:
        config = replace(DEFAULT_CONFIG, errors=replace(rates, price_drift=drift,
                                                        usage_spike=spike))
        return run(base / f"drift{drift}-spike{spike}", tenants=2, scale=0.1, seed=5,
                   config=config)

    return with_rates(0.0, 0.0), with_rates(0.15, 0.05)
