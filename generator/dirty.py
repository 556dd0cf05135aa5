"""Bad rows for the loader's quarantine.

Dirty rows are EXTRA rows: a copy of the clean row just written, with a fresh primary key and
exactly one defect, so the clean data stays complete and every other rule still holds. Where
they go is fixed by a running count (after clean row k when floor(rate * k + phase) steps up),
so the number per file is about ``rate x rows`` and does not depend on batching.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from generator.dates import add_months
from generator.encode import decimal_scale
from models import Contract, Field

KINDS: tuple[str, ...] = (
    "malformed_value",
    "wrong_type",
    "missing_required",
    "unknown_foreign_key",
    "not_allowed_value",
    "out_of_range",
    "duplicate_key",
)
# Parquet carries the contract's Arrow schema, so text defects and nulls in required
# (non-nullable) columns cannot be written there.
PARQUET_KINDS = ("unknown_foreign_key", "not_allowed_value", "out_of_range", "duplicate_key")

_BAD_TEXT = {
    "date": ("2024-13-45", "2023-02-30", "31/12/2024", "2025-00-10"),
    "timestamp": ("2024-05-06T25:00:00", "2024-13-01T10:00:00", "2023-02-30T08:15:00"),
    "decimal": ("12,5.0", "1.2.3", "--4.50", "4,50.1"),
    "int": ("1-2", "3..5", "4 5", "+-7"),
    "bool": ("maybe", "tru", "nope", "2"),
}
_WRONG_TYPE_TEXT = ("abc", "n/a", "twelve", "unknown")
_NOT_ALLOWED = ("unknown", "other", "n/a", "tbd")


@dataclass
class DirtyRow:
    row: dict[str, Any]
    kind: str
    field: str
    raw: dict[str, str] = field(default_factory=dict)  # literal CSV cell / JSON token


def _type_class(f: Field) -> str:
    if f.type.startswith("decimal"):
        return "decimal"
    if f.type.startswith("int"):
        return "int"
    return f.type


class DirtyInjector:
    def __init__(self, contract: Contract, fmt: str, rate: float, rng: random.Random) -> None:
        self.contract = contract
        self.fmt = fmt
        self.rate = rate
        self.rng = rng
        self.phase = rng.random()
        self.made = 0
        pk = set(contract.primary_key)
        self._plain = [
            f for f in contract.fields if f.name not in pk and not f.references
        ]
        self._fields = self._eligible_fields()
        kinds = [k for k in KINDS if self._fields[k]]
        if fmt == "parquet":
            kinds = [k for k in kinds if k in PARQUET_KINDS]
        rng.shuffle(kinds)
        self.kinds = kinds

    def _eligible_fields(self) -> dict[str, list[Field]]:
        plain = self._plain
        fks = [f for f in self.contract.fields if f.references and f.name != "tenant_id"
               and f.name not in self.contract.primary_key]
        typed = [f for f in plain if _type_class(f) in _BAD_TEXT]
        numeric = [f for f in plain if _type_class(f) in ("int", "decimal")]
        if self.fmt == "jsonl":
            malformed = [f for f in typed if f.type in ("date", "timestamp")]
            free_text = [f for f in plain if f.type == "string" and not f.allowed_values]
            wrong_type = free_text + numeric
        else:
            malformed, wrong_type = typed, numeric
        required = [f for f in plain if f.required] or [f for f in fks if f.required]
        return {
            "malformed_value": malformed,
            "wrong_type": wrong_type,
            "missing_required": required,
            "unknown_foreign_key": fks,
            "not_allowed_value": [f for f in plain if f.allowed_values],
            "out_of_range": [f for f in plain if f.min is not None or f.max is not None],
            "duplicate_key": plain,
        }

    def offsets(self, already: int, n: int) -> list[int]:
        """0-based positions in the next ``n`` clean rows after which a dirty row follows."""
        if n == 0 or self.rate <= 0 or not self.kinds:
            return []
        k = np.arange(already, already + n + 1, dtype=np.float64)
        steps = np.floor(self.rate * k + self.phase)
        return np.nonzero(np.diff(steps))[0].tolist()

    def make(self, clean: dict[str, Any]) -> DirtyRow:
        self.made += 1
        kind = self.kinds[(self.made - 1) % len(self.kinds)]
        row = dict(clean)
        if kind == "duplicate_key":
            return self._duplicate(row)
        self._fresh_key(row)
        f = self.rng.choice(self._fields[kind])
        dirty = DirtyRow(row, kind, f.name)
        r, n = self.rng, self.made
        tclass = _type_class(f)
        if kind == "malformed_value":
            dirty.raw[f.name] = self._token(r.choice(_BAD_TEXT[tclass]), quoted=True)
        elif kind == "wrong_type":
            if tclass == "string":  # JSONL only: a JSON number where text belongs
                dirty.raw[f.name] = str(r.choice((12345, 3.14, 42)))
            else:
                dirty.raw[f.name] = self._token(r.choice(_WRONG_TYPE_TEXT), quoted=True)
        elif kind == "missing_required":
            row[f.name] = None
        elif kind == "unknown_foreign_key":
            base = row[f.name] or f.references.upper()[:3]
            row[f.name] = f"{base}-X{n:05d}"
        elif kind == "not_allowed_value":
            allowed = set(f.allowed_values or ())
            pool = ("JPY", "CHF") if "USD" in allowed else _NOT_ALLOWED
            row[f.name] = r.choice([v for v in pool if v not in allowed])
        elif kind == "out_of_range":
            row[f.name] = self._out_of_range(f)
        return dirty

    def _token(self, text: str, quoted: bool) -> str:
        if self.fmt == "jsonl" and quoted:
            return f'"{text}"'
        return text

    def _fresh_key(self, row: dict[str, Any]) -> None:
        """Give the dirty row a primary key no clean or dirty row has."""
        key = self.contract.field(self.contract.key_field)
        if key.type == "string" and not key.allowed_values:
            row[key.name] = f"{row[key.name]}-D{self.made:05d}"
            return
        for name in self.contract.primary_key:  # composite keys (fx_rates): a month long gone
            if self.contract.field(name).type == "date":
                row[name] = add_months(date(1990, 1, 1), self.made)
                return
        raise ValueError(f"cannot make a fresh key for {self.contract.name}")

    def _out_of_range(self, f: Field) -> Any:
        r = self.rng
        below = f.min is not None and (f.max is None or r.random() < 0.5)
        step = r.randint(1, 500)
        if _type_class(f) == "int":
            return int(f.min) - r.randint(1, 5) if below else int(f.max) + r.randint(1, 5)
        scale = decimal_scale(f)
        delta = Decimal(step).scaleb(-min(scale, 2))
        if below:
            return (Decimal(str(f.min)) - delta).quantize(Decimal(1).scaleb(-scale))
        return (Decimal(str(f.max)) + delta).quantize(Decimal(1).scaleb(-scale))

    def _duplicate(self, row: dict[str, Any]) -> DirtyRow:
        """Same primary key as the row just written, one non-key value changed (still valid)."""
        candidates = [f for f in self._plain if row.get(f.name) is not None]
        f = self.rng.choice(candidates)
        row[f.name] = _perturb(f, row[f.name], self.rng)
        return DirtyRow(row, "duplicate_key", "+".join(self.contract.primary_key))


def _perturb(f: Field, value: Any, r: random.Random) -> Any:
    tclass = _type_class(f)
    if f.allowed_values:
        return r.choice([v for v in f.allowed_values if v != value])
    if tclass == "string":
        return f"{value} (rev)"
    if tclass == "bool":
        return not value
    if tclass == "date":
        return value + timedelta(days=1)
    if tclass == "timestamp":
        return value + timedelta(hours=1)
    one = 1 if tclass == "int" else Decimal(1).scaleb(-decimal_scale(f))
    hi = math.inf if f.max is None else f.max
    if value + one <= hi:
        return value + one
    return value - one
