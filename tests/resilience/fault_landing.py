"""A second version of a generated company's exports: the same keys, other values.

Loading the revised exports over the originals (or the other way round) changes rows of every
source system but adds or removes none, so after any load each source's raw tables hold
exactly one of the two versions. One field per source is revised, in a way that keeps a valid
value valid and an invalid one invalid (quarantine stays the same rows).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

REVISED_SUFFIX = " (revised)"


def _append_suffix(value: str) -> str:
    return value + REVISED_SUFFIX if value else value  # an empty required value stays missing


def _double_number(match: re.Match[str]) -> str:
    try:
        return match[1] + str(Decimal(match[2]) * 2)  # the sign and so the range check are kept
    except InvalidOperation:
        return match[0]


def _mirror_score(match: re.Match[str]) -> str:
    return match[1] + str(6 - int(match[2]))  # 1..5 maps onto 1..5; out of range stays out


def _append_to_json_string(match: re.Match[str]) -> str:
    return match[1] + match[2] + REVISED_SUFFIX


def _revise_csv_column(path: Path, column: str, revise: Callable[[str], str]) -> None:
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    rewritten = io.StringIO(newline="")
    csv.writer(rewritten, lineterminator="\n").writerows(rows)
    if rewritten.getvalue() != text:  # only revise files the csv module writes back byte for byte
        raise AssertionError(f"{path} does not round-trip through the csv module")
    index = rows[0].index(column)
    for row in rows[1:]:
        if index < len(row):
            row[index] = revise(row[index])
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _revise_jsonl_number(path: Path, field: str, pattern: str, revise: Callable[[re.Match[str]], str]) -> None:
    regex = re.compile(rf'("{re.escape(field)}":\s*)({pattern})')
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(regex.sub(revise, line, count=1) for line in lines), encoding="utf-8")


def _double_parquet_decimal(path: Path, column: str) -> None:
    table = pq.read_table(path)
    index = table.schema.get_field_index(column)
    values = table.column(index)
    doubled = pc.multiply(values, pa.scalar(Decimal(2), values.type)).cast(values.type)
    pq.write_table(table.set_column(index, table.schema.field(index), doubled), path)


# One revision per source system (file relative to the landing folder, and how).
REVISIONS: dict[str, Callable[[Path], None]] = {
    "finance": lambda root: _revise_csv_column(root / "finance/tenants.csv", "tenant_name", _append_suffix),
    "partners": lambda root: _revise_csv_column(root / "partners/partners.csv", "partner_name", _append_suffix),
    "crm": lambda root: _revise_csv_column(root / "crm/customers.csv", "customer_name", _append_suffix),
    # Recurring prices double, so the revenue marts change too.
    "billing": lambda root: _revise_jsonl_number(
        root / "billing/subscription_line_items.jsonl", "unit_price", r"-?\d+(?:\.\d+)?", _double_number),
    "usage": lambda root: _double_parquet_decimal(root / "usage/usage_events.parquet", "quantity"),
    "projects": lambda root: _revise_jsonl_number(
        root / "projects/implementation_projects.jsonl", "project_manager", r'"[^"]+', _append_to_json_string),
    "procurement": lambda root: _revise_csv_column(root / "procurement/vendors.csv", "vendor_name", _append_suffix),
    "support": lambda root: _revise_jsonl_number(
        root / "support/support_tickets.jsonl", "csat_score", r"-?\d+", _mirror_score),
}



def revised_copy(landing: Path, target: Path, sources: tuple[str, ...] = tuple(REVISIONS)) -> Path:
    """Copy ``landing`` to ``target`` and revise one field of the given sources' exports."""
    shutil.copytree(landing, target)
    for source in sources:
        REVISIONS[source](target)
    return target
