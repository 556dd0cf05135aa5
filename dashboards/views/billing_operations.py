"""Billing operations: what was not billed right, what is waiting to be billed, who owes us?"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import components as ui
from dashboards.context import page_context
from dashboards.queries import billing_operations as billing
from dashboards.queries.scope import AGE_BUCKETS

TENANT_LEVEL = "Tenant-level figure: the segment filter does not apply."

context = page_context()
filters = context.filters
st.title("Billing operations")

st.subheader("Revenue leakage")
leakage = ui.load(billing.leakage_by_month, context)
if leakage is not None:
    shown = leakage[leakage["month_start"] >= pd.Timestamp(filters.period_start)]
    currency = shown["currency"].iloc[0] if len(shown) else ""
    chart = alt.Chart(shown).mark_bar(color="#e45756").encode(
        x=ui.month_bands(), y=alt.Y("leakage_amount:Q", title=f"Leakage ({currency})"),
        tooltip=["month_start:T", alt.Tooltip("leakage_amount:Q", format=",.2f"),
                 alt.Tooltip("expected_amount:Q", format=",.2f")])
    ui.chart_with_rows(chart, shown, "revenue_leakage", key="billing_leakage",
                       caption="Expected minus billed revenue per month, where positive. "
                               + (TENANT_LEVEL if filters.segment else ""))

st.subheader("Billing exceptions by type and age")
exceptions = ui.load(billing.exceptions_by_type_and_age, context)
if exceptions is not None:
    # Stacked youngest first, from light to dark as exceptions age.
    aged = exceptions.assign(age_order=exceptions["age_bucket"].map(
        {bucket: index for index, bucket in enumerate(AGE_BUCKETS)}))
    chart = alt.Chart(aged).mark_bar().encode(
        x=alt.X("sum(exceptions):Q", title="Exceptions"),
        y=alt.Y("exception_type:N", sort="-x", title=None),
        color=alt.Color("age_bucket:N", title="Days since due",
                        scale=alt.Scale(domain=list(AGE_BUCKETS),
                                        range=["#fdd49e", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"])),
        order=alt.Order("age_order:Q"),
        tooltip=["exception_type:N", "age_bucket:N", "currency:N", "exceptions:Q",
                 alt.Tooltip("leakage_amount:Q", format=",.2f"),
                 alt.Tooltip("over_billed_amount:Q", format=",.2f")])
    rows = ui.load(billing.exception_rows, context)
    ui.chart_with_rows(chart, rows, "billing_exceptions", key="billing_exceptions",
                       caption="Periods due in the selected months where the invoice differs "
                               "from what the contract says. Amounts stay in the contract "
                               "currency (per currency below), never added across currencies.",
                       empty="No billing exceptions in this period.")
    if not exceptions.empty:
        with st.expander("Amounts by type and currency"):
            by_currency = exceptions.groupby(["exception_type", "currency"], as_index=False)[
                ["exceptions", "expected_amount", "billed_amount", "leakage_amount",
                 "over_billed_amount"]].sum()
            ui.data_table(by_currency, "billing_exceptions_by_currency", key="billing_exc_currency")

st.subheader("Anomaly review queue")
queue = ui.load(billing.review_queue, context)
if queue is not None:
    ui.data_table(queue, "billing_review_queue", key="billing_queue",
                  empty="Nothing in the review queue.")

st.subheader("Unbilled delivered work")
unbilled = ui.load(billing.unbilled_work_summary, context)
if unbilled is not None:
    currency = unbilled["currency"].iloc[0] if len(unbilled) else ""
    chart = alt.Chart(unbilled).mark_bar().encode(
        x=alt.X("aging_bucket:N", sort=list(AGE_BUCKETS), title="Days since delivered"),
        y=alt.Y("unbilled_amount:Q", title=f"Unbilled ({currency})"),
        color=alt.Color("work_type:N", title="Work"),
        tooltip=["work_type:N", "aging_bucket:N", "items:Q",
                 alt.Tooltip("unbilled_amount:Q", format=",.2f")])
    rows = ui.load(billing.unbilled_work_rows, context)
    ui.chart_with_rows(chart, rows, "unbilled_work", key="billing_unbilled",
                       caption="Completed milestones and consumed usage no invoice covers yet, "
                               "as of the warehouse date. " + TENANT_LEVEL,
                       empty="No unbilled delivered work.")

st.subheader("Delayed first invoices")
delays = ui.load(billing.first_invoice_delay_by_month, context)
if delays is not None:
    chart = alt.Chart(delays).mark_bar(color="#f58518").encode(
        x=ui.month_bands(title="Activation month"),
        y=alt.Y("contracts_delayed:Q", title="Contracts with a delayed first invoice"),
        tooltip=["month_start:T", "contracts_activated:Q", "contracts_delayed:Q",
                 alt.Tooltip("average_delay_days:Q", format=".1f")])
    rows = ui.load(billing.first_invoice_delays, context)
    ui.chart_with_rows(chart, rows, "delayed_first_invoices", key="billing_delays",
                       caption="Days from service activation to the first invoice; rows are the "
                               "delayed contracts.", empty="No contracts activated in this period.")

st.subheader("Accounts receivable")
aging = ui.load(billing.ar_aging, context)
dso = ui.load(billing.dso_by_month, context)
if aging is not None and dso is not None:
    currency = dso["currency"].iloc[0] if len(dso) else ""
    last = dso[dso["month_start"] == pd.Timestamp(filters.period_end)]
    previous = dso[dso["month_start"] < pd.Timestamp(filters.period_end)]
    left, right = st.columns(2)
    with left:
        ui.kpi_tile("DSO (days)", None if last.empty else float(last["dso_days"].iloc[0]),
                    None if previous.empty else float(previous["dso_days"].iloc[-1]), "days",
                    meaning="Days sales outstanding: AR at month end / invoiced in the 90 days "
                            "to it x 90. " + TENANT_LEVEL, lower_is_better=True)
    with right:
        total = None if aging.empty else float(aging[list(billing.AR_BUCKETS)].sum(axis=1).iloc[0])
        ui.kpi_tile("Accounts receivable", total, None, "money", currency=currency,
                    meaning=f"Open invoice amounts at the end of {filters.period_end:%B %Y}.")
    if not aging.empty:
        buckets = pd.DataFrame({
            "bucket": ["Current", "1-30", "31-60", "61-90", "Over 90"],
            "amount": [float(aging[column].iloc[0]) for column in billing.AR_BUCKETS]})
        chart = alt.Chart(buckets).mark_bar().encode(
            x=alt.X("bucket:N", sort=None, title="Days past due"),
            y=alt.Y("amount:Q", title=f"AR ({currency})"),
            tooltip=["bucket:N", alt.Tooltip("amount:Q", format=",.2f")])
        rows = ui.load(billing.open_invoices, context)
        ui.chart_with_rows(chart, rows, "open_invoices", key="billing_ar",
                           caption=f"AR aging at the end of {filters.period_end:%B %Y}; rows are "
                                   "the invoices open today (invoice currency).")
    else:
        ui.empty_state("No receivables for the last month of the period.")
