"""What a load did, per file, per table and per source: the figures audits and assets report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Outcome = Literal["loaded", "failed", "no_files"]


@dataclass
class FileLoadResult:
    entity: str
    path: str  # relative to the landing folder
    sha256: str
    file_bytes: int = 0
    rows_read: int = 0
    rows_loaded: int = 0  # valid rows now in raw (inserted + updated + unchanged)
    rows_quarantined: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    # Schema drift seen in the file (also in raw.schema_drift): columns the contract does not
    # know (ignored) and optional contract columns the file lacks (loaded as empty).
    new_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)

    @property
    def rows_unchanged(self) -> int:
        return self.rows_loaded - self.rows_inserted - self.rows_updated


@dataclass
class TableLoadResult:
    entity: str
    files: list[FileLoadResult] = field(default_factory=list)

    def _sum(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)

    @property
    def rows_read(self) -> int:
        return self._sum("rows_read")

    @property
    def rows_loaded(self) -> int:
        return self._sum("rows_loaded")

    @property
    def rows_quarantined(self) -> int:
        return self._sum("rows_quarantined")

    @property
    def rows_inserted(self) -> int:
        return self._sum("rows_inserted")

    @property
    def rows_updated(self) -> int:
        return self._sum("rows_updated")


@dataclass
class SourceLoadResult:
    source: str
    batch_id: str
    outcome: Outcome
    started_at: datetime
    finished_at: datetime
    tables: dict[str, TableLoadResult]
    message: str | None = None  # one line naming the file and field when the source failed

    @property
    def rows_read(self) -> int:
        return sum(t.rows_read for t in self.tables.values())

    @property
    def rows_loaded(self) -> int:
        return sum(t.rows_loaded for t in self.tables.values())

    @property
    def rows_quarantined(self) -> int:
        return sum(t.rows_quarantined for t in self.tables.values())
