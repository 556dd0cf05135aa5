"""Chunked, append-only writers: one open file per entity, rows flushed in batches.

Rows arrive as dicts of Python values (or, for usage events, ready Arrow tables), are buffered
up to ``batch_rows`` and then encoded and appended, with any dirty rows interleaved, so no large
entity is ever held whole in memory. Row numbers are 1-based record indexes within the file
(the CSV header is not counted).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from generator.dirty import DirtyInjector, DirtyRow
from generator.encode import csv_encoders, json_encoders
from generator.layout import FILE_FORMATS, relative_path
from generator.truth import TruthWriter
from models import Contract


class Sink:
    def __init__(self, contract: Contract, out: Path, truth: TruthWriter,
                 dirty: DirtyInjector | None, batch_rows: int = 20_000) -> None:
        self.contract = contract
        self.fmt = FILE_FORMATS[contract.name]
        self.rel = relative_path(contract)
        self.truth = truth
        self.dirty = dirty
        self.batch_rows = batch_rows
        self.names = contract.field_names
        self.clean_rows = 0
        self.records = 0
        self._buffer: list[dict[str, Any]] = []
        path = out / self.rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.fmt == "parquet":
            self.schema = contract.arrow_schema
            self._parquet = pq.ParquetWriter(path, self.schema, compression="zstd")
        else:
            self._fh = path.open("w", encoding="utf-8", newline="")
            if self.fmt == "csv":
                self._csv = csv.writer(self._fh, lineterminator="\n")
                self._csv.writerow(self.names)
                self._encoders = csv_encoders(contract)
            else:
                self._encoders = json_encoders(contract)
                self._keys = [f'"{n}":' for n in self.names]

    @property
    def dirty_rows(self) -> int:
        return self.records - self.clean_rows

    def add(self, row: dict[str, Any]) -> None:
        self._buffer.append(row)
        if len(self._buffer) >= self.batch_rows:
            self.flush()

    def add_table(self, table: pa.Table) -> None:
        """Append an Arrow batch that already has the contract schema (vectorised producers)."""
        self.flush()
        self._write_table(table)

    def flush(self) -> None:
        if not self._buffer:
            return
        rows, self._buffer = self._buffer, []
        if self.fmt == "parquet":
            self._write_table(pa.Table.from_pylist(rows, schema=self.schema))
        else:
            self._write_text(rows)

    def close(self) -> None:
        self.flush()
        if self.fmt == "parquet":
            self._parquet.close()
        else:
            self._fh.close()

    # -- text formats -------------------------------------------------------------------
    def _encode(self, row: dict[str, Any], raw: dict[str, str] | None = None) -> list[str | None]:
        values = [row[n] for n in self.names]
        cells = [None if v is None else enc(v) for enc, v in zip(self._encoders, values)]
        if raw:
            for name, text in raw.items():
                cells[self.names.index(name)] = text
        return cells

    def _emit_text(self, cells: list[str | None]) -> None:
        if self.fmt == "csv":
            self._csv.writerow(cells)
        else:
            body = ",".join(k + ("null" if c is None else c) for k, c in zip(self._keys, cells))
            self._fh.write("{" + body + "}\n")
        self.records += 1

    def _write_text(self, rows: list[dict[str, Any]]) -> None:
        after = set(self.dirty.offsets(self.clean_rows, len(rows))) if self.dirty else set()
        for i, row in enumerate(rows):
            self._emit_text(self._encode(row))
            if i in after:
                bad = self.dirty.make(row)
                self._emit_text(self._encode(bad.row, bad.raw))
                self._record(bad, self.records)
        self.clean_rows += len(rows)

    # -- parquet ------------------------------------------------------------------------
    def _write_table(self, clean: pa.Table) -> None:
        n = clean.num_rows
        after = self.dirty.offsets(self.clean_rows, n) if self.dirty else []
        table = clean
        if after:
            bad = [self.dirty.make(clean.slice(i, 1).to_pylist()[0]) for i in after]
            extra = pa.Table.from_pylist([b.row for b in bad], schema=self.schema)
            order = np.insert(np.arange(n), np.asarray(after) + 1, n + np.arange(len(bad)))
            table = pa.concat_tables([clean, extra]).take(pa.array(order))
            positions = np.nonzero(order >= n)[0]
            for b, pos in zip(bad, positions.tolist()):
                self._record(b, self.records + pos + 1)
        self._parquet.write_table(table)
        self.records += table.num_rows
        self.clean_rows += n

    def _record(self, bad: DirtyRow, row_number: int) -> None:
        self.truth.dirty_row(self.contract.source, self.contract.name, self.rel, row_number,
                             bad.kind, bad.field)
