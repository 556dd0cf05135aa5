"""Ground truth for evaluation: streamed CSV files beside (never inside) the landing folder."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

BILLING_ERRORS = (
    "tenant_id", "error_type", "invoice_id", "invoice_line_id", "line_item_id", "customer_id",
    "contract_id", "period_start", "period_end", "expected_amount", "billed_amount", "currency",
)
RENEWAL_OUTCOMES = (
    "tenant_id", "contract_id", "customer_id", "segment", "renewal_date", "observed",
    "churn_probability", "contraction_probability", "outcome", "escalations_12m",
    "usage_trend", "activation_lag_days", "go_live_slip_days", "price_change_pct",
    "renewal_uplift_pct", "renewal_contract_id",
)
SETTLEMENT_ERRORS = (
    "tenant_id", "settlement_id", "partner_id", "period_month", "error_type",
    "expected_commission", "stated_commission", "currency",
)
DIRTY_ROWS = ("source", "entity", "file", "row_number", "kind", "field")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.6f}"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


class _CsvTable:
    def __init__(self, path: Path, header: tuple[str, ...]) -> None:
        self.header = header
        self._fh = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._fh, lineterminator="\n")
        self._writer.writerow(header)
        self.rows = 0

    def write(self, row: dict[str, Any]) -> None:
        self._writer.writerow([_text(row.get(h)) for h in self.header])
        self.rows += 1

    def close(self) -> None:
        self._fh.close()


class TruthWriter:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.billing_errors = _CsvTable(folder / "billing_errors.csv", BILLING_ERRORS)
        self.renewals = _CsvTable(folder / "renewal_outcomes.csv", RENEWAL_OUTCOMES)
        self.settlements = _CsvTable(folder / "settlement_errors.csv", SETTLEMENT_ERRORS)
        self.dirty = _CsvTable(folder / "dirty_rows.csv", DIRTY_ROWS)
        self.error_counts: Counter[str] = Counter()
        self.dirty_counts: Counter[str] = Counter()
        self.dirty_kinds: Counter[str] = Counter()

    def billing_error(self, **row: Any) -> None:
        self.billing_errors.write(row)
        self.error_counts[row["error_type"]] += 1

    def renewal(self, **row: Any) -> None:
        self.renewals.write(row)

    def settlement_error(self, **row: Any) -> None:
        self.settlements.write(row)

    def dirty_row(self, source: str, entity: str, file: str, row_number: int, kind: str,
                  field: str) -> None:
        self.dirty.write({"source": source, "entity": entity, "file": file,
                          "row_number": row_number, "kind": kind, "field": field})
        self.dirty_counts[file] += 1
        self.dirty_kinds[kind] += 1

    def close(self, manifest: dict[str, Any]) -> None:
        for table in (self.billing_errors, self.renewals, self.settlements, self.dirty):
            table.close()
        manifest = {
            **manifest,
            "billing_error_counts": dict(sorted(self.error_counts.items())),
            "dirty_rows_per_file": dict(sorted(self.dirty_counts.items())),
            "dirty_rows_per_kind": dict(sorted(self.dirty_kinds.items())),
            "renewal_outcomes": self.renewals.rows,
            "settlement_errors": self.settlements.rows,
        }
        (self.folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
