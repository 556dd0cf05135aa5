"""Every ``OPSINTEL_*`` setting, in one place: the CLI, the Dagster resources, the loader, the
ML steps and the dashboards all read them here (dbt reads the same variables in its profile).

Every path comes from an environment variable with a default under the repository, so a
fresh clone works with no set-up and a deployment points them elsewhere. This module is the
foundation: it imports no other opsintel package.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

WAREHOUSE_ENV = "OPSINTEL_WAREHOUSE"
LANDING_ENV = "OPSINTEL_LANDING"
GROUND_TRUTH_ENV = "OPSINTEL_GROUND_TRUTH"

DEFAULT_WAREHOUSE = REPO_ROOT / "data" / "warehouse" / "opsintel.duckdb"
DEFAULT_LANDING = REPO_ROOT / "data" / "landing"
DEFAULT_GROUND_TRUTH = REPO_ROOT / "data" / "ground_truth"


def _path_from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser().resolve() if value else default


def warehouse_path() -> Path:
    """The DuckDB file the pipeline writes (``$OPSINTEL_WAREHOUSE``)."""
    return _path_from_env(WAREHOUSE_ENV, DEFAULT_WAREHOUSE)


def landing_path() -> Path:
    """The folder source exports land in, one sub-folder per source system."""
    return _path_from_env(LANDING_ENV, DEFAULT_LANDING)


def ground_truth_path() -> Path:
    """Labels the sample-data generator writes for evaluation; the pipeline never reads it."""
    return _path_from_env(GROUND_TRUTH_ENV, DEFAULT_GROUND_TRUTH)


ARTIFACTS_ENV = "OPSINTEL_ARTIFACTS"
USERS_ENV = "OPSINTEL_USERS"
LOGS_ENV = "OPSINTEL_LOGS"

DEFAULT_ARTIFACTS = REPO_ROOT / "artifacts"
DEFAULT_USERS = REPO_ROOT / "data" / "users.toml"
DEFAULT_LOGS = REPO_ROOT / "data" / "logs"


def artifacts_path() -> Path:
    """Model files per name and version, and browser screenshots (``$OPSINTEL_ARTIFACTS``)."""
    return _path_from_env(ARTIFACTS_ENV, DEFAULT_ARTIFACTS)


def users_path() -> Path:
    """The dashboards' users file: roles, tenant scopes, salted password hashes."""
    return _path_from_env(USERS_ENV, DEFAULT_USERS)


def logs_path() -> Path:
    """The folder of the servers', the pipeline's and the sign-in logs (``$OPSINTEL_LOGS``)."""
    return _path_from_env(LOGS_ENV, DEFAULT_LOGS)


QUALITY_DOCS_ENV = "OPSINTEL_QUALITY_DOCS"


def quality_docs_path(warehouse_file: Path | None = None) -> Path:
    """The quality checks' Data Docs folder (``$OPSINTEL_QUALITY_DOCS``).

    The default sits next to the warehouse's data folder: a warehouse at
    ``<data>/warehouse/opsintel.duckdb`` gets its docs in ``<data>/quality/docs``.
    """
    value = os.environ.get(QUALITY_DOCS_ENV, "").strip()
    if value:
        return Path(value).expanduser().resolve()
    warehouse_file = warehouse_file or warehouse_path()
    return warehouse_file.resolve().parent.parent / "quality" / "docs"


DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# dbt may write only the file this names: the copy handed to it under the writer lock.
DBT_WRITER_ENV = "OPSINTEL_DBT_WRITER"


def dbt_writer_environment(path: Path | str) -> dict[str, str]:
    """The variables that let dbt build ``path``: the profile's warehouse and the writer marker."""
    return {WAREHOUSE_ENV: str(path), DBT_WRITER_ENV: str(path)}


AS_OF_ENV = "OPSINTEL_AS_OF_DATE"


def as_of_date() -> date:
    """The day the warehouse reports as of (``$OPSINTEL_AS_OF_DATE``, YYYY-MM-DD), else today.

    dbt reads the same variable, so the marts, the model features and the scores share one date.
    """
    value = os.environ.get(AS_OF_ENV, "").strip()
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"${AS_OF_ENV} must be a date as YYYY-MM-DD, not {value!r}") from None


# Limits on every dashboard read.
QUERY_TIMEOUT_ENV = "OPSINTEL_DASHBOARD_QUERY_TIMEOUT"
MEMORY_LIMIT_ENV = "OPSINTEL_DASHBOARD_MEMORY_LIMIT"
MAX_ROWS_ENV = "OPSINTEL_DASHBOARD_MAX_ROWS"
DEFAULT_QUERY_TIMEOUT_S = 10.0  # page reads take well under a second at 10,000 customers
DEFAULT_MEMORY_LIMIT = "2GB"
# The result becomes a pandas frame outside DuckDB's memory limit: its rows are capped too.
DEFAULT_MAX_ROWS = 1_000_000
_MEMORY_SIZE = re.compile(r"^\d+(\.\d+)?\s*([kmgt]i?b|b|%)$", re.IGNORECASE)


@dataclass(frozen=True)
class ReadLimits:
    """What dashboard reads may use: wall-clock seconds per query, memory of the read
    connection (a DuckDB size such as ``2GB`` or ``512MiB``, shared by concurrent reads) and
    rows per result."""

    timeout_s: float = DEFAULT_QUERY_TIMEOUT_S
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    max_rows: int = DEFAULT_MAX_ROWS

    def __post_init__(self) -> None:
        _require_timeout(self.timeout_s, "the query time-out")
        _require_memory_size(self.memory_limit, "the memory limit")
        _require_row_count(self.max_rows, "the row limit")


def read_limits() -> ReadLimits:
    """The limits from ``$OPSINTEL_DASHBOARD_QUERY_TIMEOUT`` (seconds, default 10),
    ``$OPSINTEL_DASHBOARD_MEMORY_LIMIT`` (default 2GB) and ``$OPSINTEL_DASHBOARD_MAX_ROWS``
    (default 1,000,000)."""
    timeout = os.environ.get(QUERY_TIMEOUT_ENV, "").strip()
    memory = os.environ.get(MEMORY_LIMIT_ENV, "").strip() or DEFAULT_MEMORY_LIMIT
    rows = os.environ.get(MAX_ROWS_ENV, "").strip()
    try:
        max_rows = int(rows) if rows else DEFAULT_MAX_ROWS
    except ValueError:
        max_rows = 0  # refused just below, naming the variable
    _require_row_count(max_rows, f"${MAX_ROWS_ENV}", rows)
    try:
        seconds = float(timeout) if timeout else DEFAULT_QUERY_TIMEOUT_S
    except ValueError:
        seconds = math.nan  # refused just below, naming the variable
    _require_timeout(seconds, f"${QUERY_TIMEOUT_ENV}", timeout)
    _require_memory_size(memory, f"${MEMORY_LIMIT_ENV}")
    return ReadLimits(timeout_s=seconds, memory_limit=memory, max_rows=max_rows)


def _require_timeout(seconds: float, what: str, written: object = None) -> None:
    if not (math.isfinite(seconds) and seconds > 0):
        shown = seconds if written is None else written
        raise ValueError(f"{what} must be a positive number of seconds, not {shown!r}")


def _require_row_count(rows: int, what: str, written: object = None) -> None:
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise ValueError(f"{what} must be a whole number of rows above 0, "
                         f"not {rows if written is None else written!r}")


def _require_memory_size(size: str, what: str) -> None:
    # The value goes into a SET statement (settings take no bound parameters): only a size passes.
    if not _MEMORY_SIZE.match(size.strip()):
        raise ValueError(f"{what} must be a size such as 2GB or 512MiB, not {size!r}")
