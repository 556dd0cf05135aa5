"""Partners: are partner settlements right, and what margin does each channel leave us?"""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboards import components as ui
from dashboards.context import page_context
from dashboards.queries import partners

context = page_context()
st.title("Partners")

st.subheader("Settlements and their accuracy")
settlements = ui.load(partners.settlements_by_partner, context)
if settlements is not None:
    if not settlements.empty:
        total = int(settlements["settlements"].sum())
        accurate = int(settlements["accurate_settlements"].sum())
        currency = settlements["currency"].iloc[0]
        left, right = st.columns(2)
        with left:
            ui.kpi_tile("Settlement accuracy", accurate / total if total else None, None, "percent",
                        meaning="Settlements whose commission equals the commission expected "
                                "from the partner's sourced revenue and agreed rate.")
        with right:
            ui.kpi_tile("Commission difference", float(settlements["commission_difference"].sum()),
                        None, "money", currency=currency,
                        meaning="Settled minus expected commission over the period "
                                "(positive: we paid more than the agreement says).",
                        lower_is_better=True)
    chart = alt.Chart(settlements).mark_bar().encode(
        y=alt.Y("partner_name:N", sort="x", title=None),
        x=alt.X("accuracy:Q", title="Accurate settlements", axis=alt.Axis(format="%")),
        tooltip=["tenant_id:N", "partner_name:N", "settlements:Q", "accurate_settlements:Q",
                 alt.Tooltip("commission_difference:Q", format=",.2f")])
    rows = ui.load(partners.settlement_rows, context)
    ui.chart_with_rows(chart, rows, "partner_settlements", key="partners_settlements",
                       caption="Settlements for months of the period (rows in the settlement "
                               "currency). Tenant-level: the segment does not apply.",
                       empty="No settlements in this period.")

st.subheader("Channel margin")
margin = ui.load(partners.channel_margin, context)
if margin is not None:
    currency = margin["currency"].iloc[0] if len(margin) else ""
    chart = alt.Chart(margin).mark_bar().encode(
        y=alt.Y("partner_name:N", sort="-x", title=None),
        x=alt.X("margin:Q", title=f"Margin ({currency})"),
        tooltip=["tenant_id:N", "partner_name:N", "customers:Q",
                 alt.Tooltip("net_revenue:Q", format=",.2f"),
                 alt.Tooltip("margin_pct:Q", format=".1%")])
    ui.chart_with_rows(chart, margin, "channel_margin", key="partners_margin",
                       caption="Net revenue of partner-sourced customers minus direct costs "
                               "(devices, partner commission, pass-through) over the period.",
                       empty="No partner-sourced revenue in this period.")
