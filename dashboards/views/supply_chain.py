"""Supply chain: do we have the devices we promised, how fast do vendors deliver, are
deployed devices billing, what do they cost per customer?"""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboards import components as ui
from dashboards.context import page_context
from dashboards.queries import supply_chain

context = page_context()
filters = context.filters
st.title("Supply chain")

st.subheader(f"Stock on hand, end of {filters.period_end:%B %Y}")
stock = ui.load(supply_chain.stock_positions, context)
if stock is not None:
    chart = alt.Chart(stock).mark_bar().encode(
        y=alt.Y("item_name:N", sort="-x", title=None),
        x=alt.X("stock_on_hand:Q", title="Units on hand"),
        color=alt.Color("is_stockout:N", title="Stockout",
                        scale=alt.Scale(domain=[False, True], range=["#4c78a8", "#e45756"])),
        tooltip=["tenant_id:N", "item_name:N", "stock_on_hand:Q", "reorder_point:Q",
                 "committed_not_deployed_quantity:Q", "shortfall_quantity:Q"])
    ui.chart_with_rows(chart, stock, "stock_positions", key="supply_stock",
                       caption="Red: committed deployments exceed stock on hand (stockout). "
                               "Tenant-level: the segment does not apply.",
                       empty="No stock positions for this month.")
    stockouts = stock[stock["is_stockout"]]
    st.markdown("**Stockouts against committed deployments**")
    ui.data_table(stockouts, "stockouts", key="supply_stockouts", empty="No stockouts.")

st.subheader("Procurement lead time by vendor")
vendors = ui.load(supply_chain.lead_times_by_vendor, context)
if vendors is not None:
    chart = alt.Chart(vendors.dropna(subset=["avg_lead_time_days"])).mark_bar().encode(
        y=alt.Y("vendor_name:N", sort="-x", title=None),
        x=alt.X("avg_lead_time_days:Q", title="Mean days order to full receipt"),
        tooltip=["tenant_id:N", "vendor_name:N", "purchase_orders:Q", "late_orders:Q",
                 alt.Tooltip("avg_lead_time_days:Q", format=".1f"), "max_lead_time_days:Q"])
    orders = ui.load(supply_chain.purchase_orders, context)
    ui.chart_with_rows(chart, orders, "purchase_orders", key="supply_lead",
                       caption="Purchase orders placed in the period; lead time over fully "
                               "received orders.", empty="No purchase orders in this period.")

st.subheader("Devices deployed but not billing")
not_billing = ui.load(supply_chain.devices_not_billing, context)
if not_billing is not None:
    ui.data_table(not_billing, "devices_not_billing", key="supply_not_billing",
                  empty="Every deployed device is billing.")

st.subheader("Device cost by customer")
cost = ui.load(supply_chain.device_cost_by_customer, context)
if cost is not None:
    currency = cost["currency"].iloc[0] if len(cost) else ""
    top = cost.head(20)
    chart = alt.Chart(top).mark_bar().encode(
        y=alt.Y("customer_name:N", sort="-x", title=None),
        x=alt.X("device_cost:Q", title=f"Device cost ({currency})"),
        tooltip=["tenant_id:N", "customer_name:N", "devices:Q",
                 alt.Tooltip("device_cost:Q", format=",.2f")])
    ui.chart_with_rows(chart, cost, "device_cost_by_customer", key="supply_cost",
                       caption="Cost of devices deployed in the period, matched to the customer "
                               "(top 20 charted; every customer in the rows).",
                       empty="No devices deployed in this period.")
