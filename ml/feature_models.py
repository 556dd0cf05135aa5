"""Read the dbt models the ML steps learn from, and refuse one built for another day.

The features, labels and training examples are dbt models (``dbt_project/models/marts/ml/``),
so dbt documents, tests and lints them and Dagster shows their lineage. They are built as of the
project's ``as_of_date`` (``$OPSINTEL_AS_OF_DATE``, today when unset) and carry it in an
``as_of_date`` column; a step asked for another day stops with one line instead of training or
scoring on the wrong date.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from foundation.warehouse import table_exists

SCHEMA = "intermediate"
AS_OF_COLUMN = "as_of_date"
BUILD_HINT = "build the dbt models (`opsintel dbt build`)"


class FeatureModelError(ValueError):
    """A feature model is missing or was built as of another date (one line naming the fix)."""


def read_feature_model(con: duckdb.DuckDBPyConnection, model: str, as_of: date,
                       order_by: tuple[str, ...],
                       error: type[Exception] = FeatureModelError) -> pd.DataFrame:
    """Every row of ``intermediate.<model>`` in ``order_by`` order, without its as-of column,
    checked to be built as of ``as_of``; else ``error`` (the caller's kind of data error)."""
    if not table_exists(con, SCHEMA, model):
        raise error(f"no table {SCHEMA}.{model} in the warehouse: {BUILD_HINT}")
    built = [row[0] for row in con.execute(
        f"select distinct {AS_OF_COLUMN} from {SCHEMA}.{model}").fetchall()]
    if any(day != as_of for day in built):
        days = ", ".join(sorted(str(day) for day in built))
        raise error(
            f"{SCHEMA}.{model} was built as of {days}, not {as_of}: set $OPSINTEL_AS_OF_DATE "
            f"to the day wanted and {BUILD_HINT}")
    frame = con.execute(
        f"select * from {SCHEMA}.{model} order by {', '.join(order_by)}").df()
    return frame.drop(columns=[AS_OF_COLUMN])
