"""Overview: how is the business doing this month, and what needs attention now?"""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboards import components as ui
from dashboards.context import page_context
from dashboards.queries import overview, renewals, revenue

MEANINGS = {
    "MRR": "Monthly recurring revenue on the first day of the month: recurring line items "
           "normalised to a month, net of discounts, in the currency shown.",
    "ARR": "Annual recurring revenue: 12 x MRR.",
    "NRR": "Net revenue retention: MRR now of the customers who paid 12 months ago, over their "
           "MRR then (expansion included).",
    "GRR": "Gross revenue retention: as NRR, each customer capped at its MRR 12 months ago.",
    "Logo churn": "Customers who stopped paying this month over customers paying at its start.",
    "Revenue leakage": "What contracts, usage and delivered milestones say should have been "
                       "billed for the month minus what was billed, where positive.",
    "Unbilled work": "Delivered milestones and consumed usage no invoice covers yet, as of the "
                     "warehouse date (no monthly comparison).",
}
LOWER_IS_BETTER = {"Logo churn", "Revenue leakage", "Unbilled work"}



def contracts_at_risk_tile() -> None:
    """High-risk renewals within 90 days; "n/a" when no model scored them (not 0)."""
    no_model = ui.load(renewals.no_model_reasons, context)
    if no_model is None:
        return
    if not no_model.empty:
        st.metric("Contracts at risk", "n/a", border=True,
                  help="No published renewal-risk model: contracts are not scored (see Renewals).")
        return
    at_risk = ui.load(overview.contracts_at_risk, context)
    if at_risk is None:
        return
    total = int(at_risk["contracts"].sum())
    stake = "; ".join(ui.format_money(row.contract_mrr * 12, row.currency) for row in at_risk.itertuples())
    st.metric("Contracts at risk", ui.format_count(total), border=True,
              help=f"Exact: {total}. High-risk contracts renewing within 90 days"
                   f"{' (ARR at stake ' + stake + ')' if stake else ''}.")


context = page_context()
filters = context.filters
st.title("Overview")
st.caption(f"KPIs for {filters.period_end:%B %Y}, change vs the month before.")

kpis = ui.load(overview.headline_kpis, context)
if kpis is not None:
    columns = st.columns(4)
    for index, kpi in enumerate(kpis):
        with columns[index % 4]:
            ui.kpi_tile(kpi.name, kpi.value, kpi.previous, kpi.kind, currency=kpi.currency,
                        meaning=MEANINGS[kpi.name], lower_is_better=kpi.name in LOWER_IS_BETTER)
    with columns[len(kpis) % 4]:
        contracts_at_risk_tile()

st.subheader("Needs attention")
attention = ui.load(overview.needs_attention, context)
if attention is not None:
    if attention.empty:
        ui.empty_state("Nothing needs attention for these filters.")
    for row in attention.itertuples():
        st.markdown(f"- **{row.count:,}** {row.item.lower()} — see *{row.page}*")

st.subheader("MRR trend")
trend = ui.load(revenue.retention_by_month, context)
if trend is not None:
    shown = trend[trend["month_start"] >= str(filters.period_start)]
    chart = alt.Chart(shown).mark_line(point=True).encode(
        x=ui.month_axis(), y=alt.Y("mrr:Q", title=f"MRR ({shown['currency'].iloc[0] if len(shown) else ''})"),
        tooltip=["month_start:T", alt.Tooltip("mrr:Q", format=",.0f"),
                 alt.Tooltip("nrr:Q", format=".1%"), alt.Tooltip("grr:Q", format=".1%")])
    ui.chart_with_rows(chart, shown, "mrr_by_month", key="overview_trend",
                       caption=MEANINGS["MRR"])
