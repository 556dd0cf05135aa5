"""One check, declared before anything runs: what GX expectation, on which frame, how severe.

Checks come from two places (the entity contracts and ``models/expectations/<source>.yml``) and
end up as the same ``CheckSpec``, so suites, Dagster check names, the runner and the messages
all read one shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("critical", "warning")
CHECK_NAME = re.compile(r"^[A-Za-z0-9_]+$")

# Frames a check can run on, besides a named SQL query: the raw table itself, or its columns
# with their DuckDB types (DECIMAL(p,s) has no pandas dtype name, so types are checked there).
TABLE_FRAME = "table"
SCHEMA_FRAME = "schema"


@dataclass(frozen=True)
class CheckSpec:
    source: str
    entity: str
    name: str
    severity: str
    expectation: str  # GX expectation type in snake case, e.g. "expect_column_values_to_not_be_null"
    kwargs: dict[str, Any]
    failing: str  # what the failing elements are, for messages: "rows with no due_date"
    frame: str = TABLE_FRAME  # TABLE_FRAME, SCHEMA_FRAME or the check's own name (query frame)
    query: str | None = None  # SQL of a query frame
    example_columns: tuple[str, ...] = ()  # columns that name a failing row in messages
    origin: str = "contract"  # "contract" or the expectations file it was declared in
    description: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def table(self) -> str:
        return f"raw.{self.entity}"

    @property
    def suite_name(self) -> str:
        """The GX suite validating this check's frame (GX validates a suite against one batch):
        ``raw_<source>.<entity>``, ``raw_<source>.<entity>__schema`` or ``..._<query check>``.

        One dot only: GX turns dots into folders, and a suite's folder must not hold another's.
        """
        base = f"raw_{self.source}.{self.entity}"
        return base if self.frame == TABLE_FRAME else f"{base}__{self.frame}"
