"""Size limits the loader enforces while reading, so one runaway record cannot exhaust memory.

A record (a CSV record, a JSON line) longer than ``MAX_RECORD_BYTES`` is never held whole: it
is skipped while reading and quarantined with its record number, its length and its first
``QUARANTINED_RECORD_CHARS`` characters. A single value longer than ``MAX_FIELD_CHARS`` is
quarantined by the validation rules. Records are read in pieces of ``READ_CHUNK_BYTES``.
"""

from __future__ import annotations

MAX_FIELD_CHARS = 1 << 20  # 1 MiB of characters in one value
MAX_RECORD_BYTES = 4 << 20  # 4 MiB of bytes in one record / line, line end not counted
QUARANTINED_RECORD_CHARS = 10_000  # characters of a bad record kept in raw.quarantine
READ_CHUNK_BYTES = 1 << 20
