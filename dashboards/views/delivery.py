"""Delivery: how fast do we activate and implement, what is slipping, what can we bill now?"""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboards import components as ui
from dashboards.context import page_context
from dashboards.queries import delivery

context = page_context()
st.title("Delivery")

st.subheader("Contract activation lag")
lags = ui.load(delivery.activation_lags, context)
if lags is not None:
    activated = lags[lags["is_activated"]]
    if not activated.empty:
        left, right = st.columns(2)
        with left:
            ui.kpi_tile("Median activation lag (days)",
                        float(activated["activation_lag_days"].median()), None, "days",
                        meaning="Days from contract signature to service activation, contracts "
                                "signed in the period.", lower_is_better=True)
        with right:
            ui.kpi_tile("Contracts waiting for activation",
                        float((~lags["is_activated"]).sum()), None, "count", lower_is_better=True)
    chart = alt.Chart(activated).mark_bar().encode(
        x=alt.X("activation_lag_days:Q", bin=alt.Bin(maxbins=30), title="Days signed to activated"),
        y=alt.Y("count():Q", title="Contracts"), tooltip=["count():Q"])
    ui.chart_with_rows(chart if not activated.empty else None, lags, "activation_lag",
                       key="delivery_activation",
                       caption="Distribution of activation lag for contracts signed in the period.",
                       empty="No contracts signed in this period.")

st.subheader("Implementation cycle time")
projects = ui.load(delivery.implementation_by_month, context)
if projects is not None:
    live = projects[projects["projects_went_live"] > 0]
    base = alt.Chart(live).encode(x=ui.month_bands(title="Go-live month"))
    chart = (base.mark_bar(opacity=0.7).encode(
                 y=alt.Y("avg_cycle_time_days:Q", title="Mean days start to go-live"),
                 tooltip=["month_start:T", "projects_went_live:Q", "projects_live_late:Q",
                          alt.Tooltip("avg_cycle_time_days:Q", format=".1f"),
                          alt.Tooltip("avg_planned_cycle_time_days:Q", format=".1f")])
             + base.mark_tick(color="black", thickness=2).encode(y="avg_planned_cycle_time_days:Q"))
    ui.chart_with_rows(chart if not live.empty else None, projects, "implementation_cycle_time",
                       key="delivery_cycle",
                       caption="Bars: mean cycle time of projects that went live that month; "
                               "ticks: the planned one. Tenant-level: the segment does not apply.",
                       empty="No project went live in this period.")
slippage = ui.load(delivery.milestone_slippage, context)
if slippage is not None:
    chart = alt.Chart(slippage).mark_bar().encode(
        x=alt.X("slippage_days:Q", bin=alt.Bin(maxbins=30), title="Days completed after plan"),
        y=alt.Y("count():Q", title="Milestones"))
    ui.chart_with_rows(chart, slippage, "milestone_slippage", key="delivery_slippage",
                       caption="Milestone slippage (actual - planned date) of milestones "
                               "completed in the period.",
                       empty="No milestone completed in this period.")

st.subheader("Slipping milestones")
slipping = ui.load(delivery.slipping_milestones, context)
if slipping is not None:
    ui.data_table(slipping, "slipping_milestones", key="delivery_slipping",
                  empty="No open milestone is past its planned date.")

st.subheader("Ready to bill")
ready = ui.load(delivery.ready_to_bill, context)
if ready is not None:
    st.caption("Completed billable milestones no invoice covers yet (contract currency).")
    ui.data_table(ready, "ready_to_bill", key="delivery_ready",
                  empty="No completed milestone is waiting for an invoice.")
