"""Business expectations of a source, declared in ``models/expectations/<source>.yml``.

Each entry names the raw table it guards, a GX expectation with its arguments and a severity.
An entry with ``query`` runs on the frame that SQL returns (read from the published snapshot,
so it may join tables of other sources); without it, on the raw table itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from foundation.warehouse import first_line
from ingestion.quality.contract_checks import example_columns
from ingestion.quality.specs import CHECK_NAME, SCHEMA_FRAME, SEVERITIES, TABLE_FRAME, CheckSpec
from models import Contract

EXPECTATIONS_DIR = Path(__file__).resolve().parents[2] / "models" / "expectations"

_REQUIRED_KEYS = ("entity", "name", "severity", "expect", "kwargs", "failing")
_OPTIONAL_KEYS = ("query", "example_columns", "why")


class ExpectationsFileError(ValueError):
    """An expectations file is malformed; the message names the file, the entry and the field."""


def business_checks(source: str, contracts: dict[str, Contract],
                    directory: Path = EXPECTATIONS_DIR) -> list[CheckSpec]:
    """The checks declared for ``source`` (none when it has no file)."""
    path = directory / f"{source}.yml"
    if not path.exists():
        return []
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ExpectationsFileError(f"{path}: not valid YAML ({first_line(exc)})") from None
    if raw.get("source") != source:
        raise ExpectationsFileError(f"{path}: field 'source' must be {source!r}, got {raw.get('source')!r}")
    entries = raw.get("checks") or []
    if not isinstance(entries, list):
        raise ExpectationsFileError(f"{path}: field 'checks' must be a list")
    return [_check(entry, f"{path.name} check #{i}", source, contracts, path.name)
            for i, entry in enumerate(entries, start=1)]


def _check(entry: Any, where: str, source: str, contracts: dict[str, Contract], origin: str) -> CheckSpec:
    if not isinstance(entry, dict):
        raise ExpectationsFileError(f"{where}: must be a mapping")
    missing = [k for k in _REQUIRED_KEYS if k not in entry]
    unknown = sorted(set(entry) - set(_REQUIRED_KEYS) - set(_OPTIONAL_KEYS))
    if missing or unknown:
        raise ExpectationsFileError(f"{where}: missing fields {missing}, unknown fields {unknown}")
    entity, name, severity = entry["entity"], entry["name"], entry["severity"]
    where = f"{where} ({entity}.{name})"
    contract = contracts.get(entity)
    if contract is None or contract.source != source:
        raise ExpectationsFileError(f"{where}: field 'entity' must be a raw table of {source}, got {entity!r}")
    if not isinstance(name, str) or not CHECK_NAME.match(name) or name in (TABLE_FRAME, SCHEMA_FRAME):
        raise ExpectationsFileError(f"{where}: field 'name' must match [A-Za-z0-9_]+ "
                                    f"and not be {TABLE_FRAME!r} or {SCHEMA_FRAME!r}")
    if severity not in SEVERITIES:
        raise ExpectationsFileError(f"{where}: field 'severity' must be one of {SEVERITIES}, got {severity!r}")
    if not isinstance(entry["kwargs"], dict):
        raise ExpectationsFileError(f"{where}: field 'kwargs' must be a mapping")
    query = entry.get("query")
    return CheckSpec(
        source=source, entity=entity, name=name, severity=severity,
        expectation=str(entry["expect"]), kwargs=dict(entry["kwargs"]), failing=str(entry["failing"]),
        frame=name if query else TABLE_FRAME, query=query,
        example_columns=tuple(entry.get("example_columns") or example_columns(contract)),
        origin=origin, description=str(entry.get("why", "")).strip(),
    )
