"""Which files in a landing folder belong to which entity.

Layout: ``<landing>/<source>/<entity>.<ext>`` or, for exports split in parts,
``<landing>/<source>/<entity>/<part>.<ext>``, with ext one of csv, jsonl, parquet.

Symbolic links are followed only as long as they stay inside the landing folder (a folder of
links to dated exports is fine); a file or folder link that leads outside it is refused, so a
landing folder cannot be used to read other files of the machine into the warehouse.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ingestion.loader.errors import SourceStopped
from models import Contract, contracts_by_source

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def file_format(path: Path) -> str:
    return FORMATS[path.suffix.lower()]


def files_for_entity(landing: Path, contract: Contract) -> list[Path]:
    """The entity's export files in a stable order (single file first, then parts by name)."""
    folder = landing / contract.source
    single = [folder / f"{contract.name}{ext}" for ext in FORMATS]
    parts_dir = folder / contract.name
    parts = sorted(p for p in parts_dir.glob("*") if p.suffix.lower() in FORMATS) if parts_dir.is_dir() else []
    return [p for p in single if p.is_file()] + [p for p in parts if p.is_file()]


def discover_files(landing: Path, source: str) -> list[Path]:
    """Every file a load of ``source`` would read, in load order."""
    return [
        path
        for contract in contracts_by_source()[source]
        for path in files_for_entity(landing, contract)
    ]


def escaping_link(landing: Path, path: Path) -> Path | None:
    """The symbolic link (``path`` or a folder above it) that leads outside ``landing``, if any."""
    root = landing.resolve()
    if path.resolve().is_relative_to(root):
        return None
    current = landing
    for part in path.relative_to(landing).parts:
        current = current / part
        if current.is_symlink() and not current.resolve().is_relative_to(root):
            return current
    return path


def ensure_inside_landing(landing: Path, path: Path, label: str) -> None:
    """Stop the source when ``path`` leads outside the landing folder (never reading the target)."""
    link = escaping_link(landing, path)
    if link is not None:
        raise _outside(label, link.relative_to(landing).as_posix())


def _outside(label: str, link: str) -> SourceStopped:
    return SourceStopped(
        f"{label}: refused: '{link}' is a symbolic link to a place outside the landing folder; "
        "nothing loaded — copy the export into the landing folder"
    )


@contextmanager
def pinned_file(landing: Path, path: Path, label: str) -> Iterator[Path]:
    """``path`` opened once, as a path to that open file (``/proc/self/fd/N``), after checking
    that the file it opened lies inside the landing folder and is a regular file.

    Every later read (hash, parse, re-hash) goes through the pinned path, so swapping a link
    between the check and the read cannot make the loader read another file.
    """
    ensure_inside_landing(landing, path, label)
    try:
        # Non-blocking: a FIFO planted in the landing folder must not hang the load.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise SourceStopped(f"{label}: cannot read file: {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SourceStopped(f"{label}: refused: not a regular file; nothing loaded")
        pinned = Path(f"/proc/self/fd/{fd}")
        if not Path(os.readlink(pinned)).is_relative_to(landing.resolve()):
            raise _outside(label, label)
        yield pinned
    finally:
        os.close(fd)


def unrecognised_files(landing: Path, source: str) -> list[Path]:
    """Files in the source folder that no contract claims (reported, never read)."""
    folder = landing / source
    if not folder.is_dir():
        return []
    known = set(discover_files(landing, source))
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p not in known and escaping_link(landing, p) is None
    )
