"""A file's identity before and after it is read, to catch an export still being written.

An exporter that rewrites or appends to a file while the loader reads it would leave a mix of
old and new records in the warehouse. Size, modification time and content hash are taken
before reading and again after; any difference stops the load.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ingestion.loader.errors import SourceStopped

_HASH_BLOCK = 1 << 20


@dataclass(frozen=True)
class FileFingerprint:
    size: int
    mtime_ns: int
    sha256: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_HASH_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(path: Path) -> FileFingerprint:
    stat = path.stat()
    return FileFingerprint(size=stat.st_size, mtime_ns=stat.st_mtime_ns, sha256=sha256_of(path))


def ensure_unchanged(path: Path, label: str, before: FileFingerprint) -> None:
    """Stop the source if ``path`` is no longer the file ``before`` describes."""
    try:
        after = fingerprint(path)
    except OSError:  # deleted or replaced mid-read counts as changed
        after = None
    if after != before:
        raise SourceStopped(
            f"{label}: changed while being read; nothing loaded — load again when the export is complete"
        )
