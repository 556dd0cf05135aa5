"""Renewals: which contracts up for renewal may churn, why, and how much is at stake?"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import components as ui
from dashboards.context import page_context
from dashboards.queries import renewals

BANDS = ("high", "medium", "low")

NO_MODEL = "No published renewal-risk model, so no contract is scored: "


def show_scores(upcoming: pd.DataFrame) -> None:
    left, right = st.columns(2)
    window = left.segmented_control("Renewing within", ["90 days", "180 days"],
                                    default="180 days", key="renewals_window")
    bands = right.multiselect("Risk band", BANDS, default=list(BANDS), key="renewals_bands")
    shown = upcoming[upcoming["risk_band"].isin(bands or BANDS)]
    if window == "90 days":
        shown = shown[shown["within_90_days"]]
    # At most three tiles a row, so amounts are never cut short.
    per_currency = list(shown.groupby("currency"))
    for first in range(0, len(per_currency), 3):
        columns = st.columns(3)
        for column, (currency, rows) in zip(columns, per_currency[first:first + 3], strict=False):
            with column:
                high = rows[rows["risk_band"] == "high"]
                ui.kpi_tile(f"High-risk ARR ({currency})", float(high["arr_at_stake"].sum()),
                            None, "money", currency=currency,
                            meaning="ARR at stake: 12 x the MRR of the high-risk contracts in view.")
    st.dataframe(
        shown, hide_index=True, key="renewals_table",
        # What a leader reads first: who, when, how likely, how much, why.
        column_order=("customer_name", "tenant_id", "renewal_date", "days_to_renewal", "risk_band",
                      "probability", "arr_at_stake", "currency", "drivers", "contract_id",
                      "customer_id", "segment", "contract_mrr", "model_version"),
        column_config={
            "customer_name": st.column_config.TextColumn("Customer"),
            "renewal_date": st.column_config.DateColumn("Renewal date", format="YYYY-MM-DD"),
            "probability": st.column_config.ProgressColumn(
                "Churn probability", format="percent", min_value=0.0, max_value=1.0),
            "arr_at_stake": st.column_config.NumberColumn("ARR at stake", format="%,.0f"),
            "contract_mrr": st.column_config.NumberColumn("Contract MRR", format="%,.2f"),
            "drivers": st.column_config.TextColumn("Drivers", width="large"),
        })
    st.download_button("Download CSV", ui.csv_bytes(shown),
                       file_name="upcoming_renewals.csv", mime="text/csv",
                       key="renewals_csv", icon=":material/download:", on_click="ignore")
    if shown.empty:
        ui.empty_state("No scored contract renews in this window and band.")


context = page_context()
st.title("Renewals")
st.caption("Contracts renewing within 180 days, scored by the renewal-risk model: probability "
           "that the contract churns or contracts at renewal, with the drivers behind the score.")

no_model = ui.load(renewals.no_model_reasons, context)
if no_model is not None and not no_model.empty:
    st.info(ui.escape_markdown(NO_MODEL + "; ".join(no_model["reason"])))
elif no_model is not None:
    upcoming = ui.load(renewals.upcoming_renewals, context)
    if upcoming is not None:
        show_scores(upcoming)
