"""Which files in a landing folder belong to which entity.

Layout: ``<landing>/<source>/<entity>.<ext>`` or, for exports split in parts,
``<landing>/<source>/<entity>/<part>.<ext>``, with ext one of csv, jsonl, parquet.
"""

from __future__ import annotations

from pathlib import Path

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


def unrecognised_files(landing: Path, source: str) -> list[Path]:
    """Files in the source folder that no contract claims (reported, never read)."""
    folder = landing / source
    if not folder.is_dir():
        return []
    known = set(discover_files(landing, source))
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p not in known
    )
