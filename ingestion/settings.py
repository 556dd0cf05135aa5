"""Where things live. One place, read by the CLI, the Dagster resources and (later) dbt.

Every path comes from an environment variable with a default under the repository, so a
fresh clone works with no set-up and a deployment points them elsewhere.
"""

from __future__ import annotations

import os
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
