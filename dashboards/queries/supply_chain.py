"""Supply chain page data: stock on hand and stockouts, procurement lead times by vendor,
devices deployed but not billing, device cost matched to customers."""

from __future__ import annotations

import pandas as pd

from dashboards.access import DataAccess, Viewer
from dashboards.context import Filters
from dashboards.queries.scope import month_params, resolve_scope, run, segment_match


def stock_positions(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Per item at the end of the period's last month: on hand, reorder point, committed to
    deployments not yet made, available after them and the shortfall (stockout when short)."""
    scope = resolve_scope(access, viewer, filters)
    sql = """
        select tenant_id, item_id, item_name, position_date, stock_on_hand, reorder_point,
               is_at_or_below_reorder_point, committed_not_deployed_quantity, available_quantity,
               is_stockout, shortfall_quantity
        from {kpi_stock}
        where month_start = $end
        order by is_stockout desc, shortfall_quantity desc, tenant_id, item_id
    """
    return run(access, viewer, scope, sql, month_params(filters))


def lead_times_by_vendor(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Purchase orders placed in the period per vendor: orders, late orders, mean lead time
    (order to full receipt, days, over fully received orders), longest lead time."""
    scope = resolve_scope(access, viewer, filters)
    sql = """
        select tenant_id, vendor_id, vendor_name, vendor_category,
               sum(purchase_orders) as purchase_orders,
               sum(fully_received_orders) as fully_received_orders,
               sum(late_orders) as late_orders,
               sum(total_lead_time_days) / nullif(sum(fully_received_orders), 0) as avg_lead_time_days,
               max(max_lead_time_days) as max_lead_time_days
        from {kpi_procurement_lead_time}
        where ordered_month between $start and $end
        group by all
        order by avg_lead_time_days desc nulls last, tenant_id, vendor_id
    """
    return run(access, viewer, scope, sql, month_params(filters))


def purchase_orders(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """The purchase orders behind the lead times."""
    scope = resolve_scope(access, viewer, filters)
    sql = """
        select tenant_id, po_id, vendor_id, vendor_name, item_name, status, receipt_status,
               ordered_date, expected_date, fully_received_date, lead_time_days, is_late,
               quantity_ordered, quantity_received, currency, order_amount
        from {fct_purchase_orders}
        where ordered_month between $start and $end
        order by lead_time_days desc nulls last, tenant_id, po_id
    """
    return run(access, viewer, scope, sql, month_params(filters))


def devices_not_billing(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Devices deployed to customers that no billing line covers today, longest first."""
    scope = resolve_scope(access, viewer, filters)
    sql = f"""
        select d.tenant_id, d.deployment_id, d.customer_id, c.customer_name, d.segment,
               d.item_name, d.quantity, d.deployed_date, d.not_billing_reason, d.unbilled_days
        from {{kpi_devices_not_billing}} as d
        join {{dim_customer}} as c on c.tenant_id = d.tenant_id and c.customer_id = d.customer_id
        where d.is_not_billing_as_of and {segment_match('d')}
        order by d.unbilled_days desc, d.tenant_id, d.deployment_id
    """
    return run(access, viewer, scope, sql, month_params(filters))


def device_cost_by_customer(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Cost of devices deployed in the period, matched to the customer they went to."""
    scope = resolve_scope(access, viewer, filters)
    cost = scope.pick("d.device_cost_reporting", "d.device_cost_group")
    sql = f"""
        select d.tenant_id, d.customer_id, c.customer_name, c.segment,
               sum(d.quantity) as devices, sum({cost}) as device_cost
        from {{fct_device_deployments}} as d
        join {{dim_customer}} as c on c.tenant_id = d.tenant_id and c.customer_id = d.customer_id
        where d.is_deployed and d.cost_month between $start and $end and {segment_match('c')}
        group by all
        order by device_cost desc, d.tenant_id, d.customer_id
    """
    frame = run(access, viewer, scope, sql, month_params(filters))
    frame["currency"] = scope.currency
    return frame
