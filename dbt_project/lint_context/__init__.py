"""What dbt puts in a model's Jinja context beyond sqlfluff's dbt builtins, for linting only.

sqlfluff's jinja templater renders the models with the project's macros and stand-ins for
``ref`` and ``source``; this package (``library_path`` in ``.sqlfluff``) adds the rest the
project uses — ``dbt.<cross-database macro>``, ``adapter.dispatch``, ``var`` with the
project's values, ``target``, ``api.Relation`` — so the rendered SQL is the SQL dbt-duckdb
compiles. Nothing here builds anything; ``execute`` is false as in dbt's parse phase.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

execute = False
graph: dict[str, dict] = {"nodes": {}}

_PROJECT_FILE = Path(__file__).resolve().parents[1] / "dbt_project.yml"
_UNSET = object()


def _project_vars() -> dict[str, Any]:
    """The project's vars that are plain values; Jinja-valued ones count as unset here."""
    declared = (yaml.safe_load(_PROJECT_FILE.read_text()) or {}).get("vars") or {}
    return {k: v for k, v in declared.items() if not (isinstance(v, str) and "{{" in v)}


def var(name: str, default: Any = _UNSET) -> Any:
    """dbt's ``var()``: the project's value, else the default; neither is an error, as in dbt."""
    value = _project_vars().get(name, default)
    if value is _UNSET:
        raise KeyError(f"var {name!r} is not defined in dbt_project.yml and has no default")
    return value
