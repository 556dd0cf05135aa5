"""The data a check runs on, read from the published warehouse as Arrow-backed DataFrames.

Arrow dtypes keep DECIMAL values exact (Decimal, not float) and dates as dates, so a total is
compared with subtotal + tax to the cent.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from ingestion.quality.specs import SCHEMA_FRAME, TABLE_FRAME, CheckSpec


class FrameError(RuntimeError):
    """A frame could not be read; the message is one line."""


def read_frame(con: duckdb.DuckDBPyConnection, spec: CheckSpec) -> pd.DataFrame:
    """The frame ``spec`` runs on (the same for every check with the same ``suite_name``)."""
    if spec.frame == TABLE_FRAME:
        sql, params = f'select * from raw."{spec.entity}"', []
    elif spec.frame == SCHEMA_FRAME:
        sql = ("select column_name, data_type as column_type from information_schema.columns "
               "where table_schema = 'raw' and table_name = ? order by ordinal_position")
        params = [spec.entity]
    else:
        sql, params = spec.query or "", []
    try:
        table = con.sql(sql, params=params or None).to_arrow_table()
    except duckdb.Error as exc:
        raise FrameError(str(exc).strip().splitlines()[0]) from None
    if spec.frame == SCHEMA_FRAME and table.num_rows == 0:  # no columns: the table is missing
        raise FrameError(f"Table {spec.table} does not exist")
    return table.to_pandas(types_mapper=pd.ArrowDtype)
