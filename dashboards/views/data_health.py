"""Data health: can today's numbers be trusted, and if not, which source is the problem?

One row per source system from the load and check metadata of the published snapshot (not the
marts): verdict, last load, failed checks, freshness and schema drift. A load spans every
tenant, so row counts and load messages are shown only to viewers of all tenants.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import components as ui
from dashboards.context import page_context
from reporting.health import SourceHealth


def health_frame(rows: list[SourceHealth], *, with_row_counts: bool) -> pd.DataFrame:
    """The page's table (also the CSV download)."""
    records = []
    for row in rows:
        record = {
            "source": row.source,
            "verdict": row.verdict,
            "last load": row.last_outcome or "never",
            "last load finished": row.last_finished_at,
            "freshness": row.freshness,
            "age (h)": None if row.age_hours is None else round(row.age_hours, 1),
            "expected every (h)": row.expected_every_hours,
            "critical checks failed": row.critical_failed,
            "warning checks failed": row.warnings_failed,
            "checked at": row.checked_at,
            "schema drift": "; ".join(row.drifted_columns),
        }
        if with_row_counts:
            record |= {"rows read": row.rows_read, "rows loaded": row.rows_loaded,
                       "rows quarantined": row.rows_quarantined, "message": row.last_message or ""}
        records.append(record)
    return pd.DataFrame.from_records(records)


def main() -> None:
    context = page_context()
    st.title("Data health")
    st.caption("Per source system: the latest load, its data-quality checks and how fresh it is. "
               "blocked = failed load, failed critical check or stale; warn = warnings, "
               "quarantined rows, schema drift or ageing.")
    rows = context.access.source_health()
    frame = health_frame(rows, with_row_counts=context.viewer.sees_all_tenants)
    counts = frame["verdict"].value_counts()
    columns = st.columns(3)
    for column, verdict in zip(columns, ("ok", "warn", "blocked")):
        column.metric(f"sources {verdict}", int(counts.get(verdict, 0)))
    if not context.viewer.sees_all_tenants:
        st.caption("Row counts are hidden: a load spans every tenant.")
    st.dataframe(frame, hide_index=True, width="stretch")
    st.download_button("Download CSV", ui.csv_bytes(frame),
                       file_name="data_health.csv", mime="text/csv")


main()
