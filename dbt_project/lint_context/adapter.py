"""``adapter.dispatch`` and ``adapter.type()`` of a DuckDB target."""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context


def type() -> str:
    return "duckdb"


@pass_context
def dispatch(context: Context, macro_name: str, macro_namespace: str | None = None) -> Any:
    """The project's ``duckdb__<name>`` macro, else its ``default__<name>``, as dbt picks it."""
    for candidate in (f"duckdb__{macro_name}", f"default__{macro_name}"):
        macro = context.get(candidate)
        if macro is not None:
            return macro
    raise KeyError(f"adapter.dispatch: no duckdb__{macro_name} or default__{macro_name} macro")
