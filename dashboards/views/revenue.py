"""Revenue: where did MRR come from and go, how well do customers stay, where is ARR?"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import components as ui
from dashboards.context import page_context
from dashboards.queries import revenue

STEPS = (("opening_mrr", "Opening", "total"), ("new_mrr", "New", "up"),
         ("expansion_mrr", "Expansion", "up"), ("reactivation_mrr", "Reactivation", "up"),
         ("contraction_mrr", "Contraction", "down"), ("churned_mrr", "Churn", "down"),
         ("closing_mrr", "Closing", "total"))


def waterfall(month_row: pd.Series) -> pd.DataFrame:
    """Bars of the bridge: each step from where the previous one ended."""
    bars, level = [], 0.0
    for column, label, kind in STEPS:
        amount = float(month_row[column])
        if kind == "total":
            start, end, level = 0.0, amount, amount
        elif kind == "up":
            start, end, level = level, level + amount, level + amount
        else:
            start, end, level = level, level - amount, level - amount
        bars.append({"step": label, "start": start, "end": end, "amount": amount, "kind": kind})
    frame = pd.DataFrame(bars)
    # The movements are a few percent of the opening MRR: the axis starts just under the lowest
    # level reached, and the opening and closing bars start there too, so the steps show.
    levels = pd.concat([frame["end"], frame.loc[frame["kind"] != "total", "start"]])
    span = float(levels.max() - levels.min()) or abs(float(levels.max())) or 1.0
    baseline = max(0.0, float(levels.min()) - 0.5 * span)
    frame.loc[frame["kind"] == "total", "start"] = baseline
    return frame


context = page_context()
filters = context.filters
st.title("Revenue")

st.subheader("MRR bridge")
bridge = ui.load(revenue.mrr_bridge, context)
if bridge is not None and not bridge.empty:
    currency = bridge["currency"].iloc[0]
    months = list(bridge["month_start"])
    month = st.selectbox("Month", months, index=len(months) - 1,
                         format_func=lambda value: f"{value:%B %Y}", key="revenue_bridge_month")
    bars = waterfall(bridge[bridge["month_start"] == month].iloc[0])
    chart = alt.Chart(bars).mark_bar().encode(
        x=alt.X("step:N", sort=[label for _, label, _ in STEPS], title=None),
        y=alt.Y("start:Q", title=f"MRR ({currency}; axis not from zero)", scale=alt.Scale(zero=False)),
        y2="end:Q",
        color=alt.Color("kind:N", legend=None,
                        scale=alt.Scale(domain=["total", "up", "down"],
                                        range=["#4c78a8", "#54a24b", "#e45756"])),
        tooltip=["step:N", alt.Tooltip("amount:Q", format=",.2f")])
    movements = ui.load(revenue.mrr_movements, context)
    rows = None if movements is None else movements[movements["month_start"] == pd.Timestamp(month)]
    ui.chart_with_rows(chart, rows if rows is not None and not rows.empty else bars,
                       f"mrr_movements_{month:%Y_%m}", key="revenue_bridge",
                       caption="Opening + new + expansion + reactivation - contraction - churn = "
                               "closing MRR, exactly. Rows: the customers whose MRR moved.")
    with st.expander("Bridge for every month of the period"):
        ui.data_table(bridge, "mrr_bridge", key="revenue_bridge_all")
else:
    ui.empty_state("No MRR in this period.")

st.subheader("MRR and ARR")
trend = ui.load(revenue.retention_by_month, context)
if trend is not None:
    shown = trend[trend["month_start"] >= pd.Timestamp(filters.period_start)]
    currency = shown["currency"].iloc[0] if len(shown) else ""
    # One line: ARR is 12 x MRR, so a second line on the same axis would only flatten the first.
    chart = alt.Chart(shown).mark_line(point=True).encode(
        x=ui.month_axis(), y=alt.Y("mrr:Q", title=f"MRR ({currency})", scale=alt.Scale(zero=False)),
        tooltip=["month_start:T", alt.Tooltip("mrr:Q", title="MRR", format=",.0f"),
                 alt.Tooltip("arr:Q", title="ARR", format=",.0f")])
    ui.chart_with_rows(chart, shown, "mrr_arr_retention", key="revenue_trend",
                       caption="MRR on the first day of each month; ARR = 12 x MRR. Rows include "
                               "NRR, GRR and logo churn per month.")

st.subheader("Cohort retention")
cohorts = ui.load(revenue.cohort_retention, context)
if cohorts is not None:
    chart = alt.Chart(cohorts).mark_rect().encode(
        x=alt.X("months_since_start:O", title="Months since first MRR"),
        y=alt.Y("cohort_month:O", title="Cohort (first MRR month)", timeUnit="yearmonth"),
        color=alt.Color("retention_rate:Q", title="Still paying", scale=alt.Scale(scheme="blues"),
                        legend=alt.Legend(format=".0%")),
        tooltip=[alt.Tooltip("cohort_month:T", format="%b %Y"), "months_since_start:O",
                 alt.Tooltip("retention_rate:Q", format=".1%"), "retained_customers:Q",
                 "cohort_customers:Q"])
    ui.chart_with_rows(chart, cohorts, "cohort_retention", key="revenue_cohorts",
                       caption="Share of each month's new customers still paying (MRR > 0) N "
                               "months later.", empty="No new customers in this period.")

st.subheader(f"ARR by dimension, {filters.period_end:%B %Y}")
tabs = st.tabs(["Segment", "Region", "Product", "Partner"])
for tab, dimension in zip(tabs, ("segment", "region", "product", "partner"), strict=True):
    with tab:
        arr = ui.load(revenue.arr_by, context, dimension)
        if arr is None:
            continue
        currency = arr["currency"].iloc[0] if len(arr) else ""
        chart = alt.Chart(arr).mark_bar().encode(
            y=alt.Y("label:N", sort="-x", title=None),
            x=alt.X("arr:Q", title=f"ARR ({currency})"),
            tooltip=["label:N", alt.Tooltip("arr:Q", format=",.0f"), "customers:Q"])
        ui.chart_with_rows(chart, arr, f"arr_by_{dimension}", key=f"revenue_arr_{dimension}")
