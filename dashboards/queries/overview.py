"""Overview page data: the headline KPIs with last month's value, and what needs attention."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboards.access import DataAccess, Viewer
from dashboards.context import Filters
from dashboards.queries.billing_operations import leakage_by_month, unbilled_work_summary
from dashboards.queries.revenue import retention_by_month
from dashboards.queries.scope import (
    SCORES_NOT_BUILT,
    month_params,
    require_mart,
    resolve_scope,
    run,
    segment_match,
)


@dataclass(frozen=True)
class Kpi:
    """One headline figure for the period's last month and the month before (None: no value)."""

    name: str
    value: float | None
    previous: float | None
    kind: str  # "money", "percent" or "count"
    currency: str | None = None


def _value(frame: pd.DataFrame, column: str, row: int) -> float | None:
    if len(frame) < abs(row):
        return None
    value = frame[column].iloc[row]
    return None if pd.isna(value) else float(value)


def headline_kpis(access: DataAccess, viewer: Viewer, filters: Filters) -> list[Kpi]:
    """MRR, ARR, NRR, GRR, logo churn rate and revenue leakage for the period's last month (and
    the month before), and unbilled delivered work as of the warehouse date."""
    end = month_params(filters)["end"]
    retention = retention_by_month(access, viewer, filters)
    retention = retention[retention["month_start"] <= pd.Timestamp(end)]
    leakage = leakage_by_month(access, viewer, filters)
    leakage = leakage[leakage["month_start"] <= pd.Timestamp(end)]
    currency = resolve_scope(access, viewer, filters).currency
    unbilled = unbilled_work_summary(access, viewer, filters)
    kpis = [
        Kpi("MRR", _value(retention, "mrr", -1), _value(retention, "mrr", -2), "money", currency),
        Kpi("ARR", _value(retention, "arr", -1), _value(retention, "arr", -2), "money", currency),
        Kpi("NRR", _value(retention, "nrr", -1), _value(retention, "nrr", -2), "percent"),
        Kpi("GRR", _value(retention, "grr", -1), _value(retention, "grr", -2), "percent"),
        Kpi("Logo churn", _value(retention, "logo_churn_rate", -1),
            _value(retention, "logo_churn_rate", -2), "percent"),
        Kpi("Revenue leakage", _value(leakage, "leakage_amount", -1),
            _value(leakage, "leakage_amount", -2), "money", currency),
        Kpi("Unbilled work", float(unbilled["unbilled_amount"].sum()), None, "money", currency),
    ]
    return kpis


def contracts_at_risk(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """High-risk contracts renewing within 90 days: how many, per tenant currency the MRR at stake."""
    require_mart(access, "renewal_risk_scores", SCORES_NOT_BUILT)
    scope = resolve_scope(access, viewer, filters)
    sql = f"""
        select t.reporting_currency as currency, count(*) as contracts,
               sum(r.contract_mrr) as contract_mrr
        from {{renewal_risk_scores}} as r
        join {{dim_customer}} as c on c.tenant_id = r.tenant_id and c.customer_id = r.customer_id
        join {{dim_tenant}} as t on t.tenant_id = r.tenant_id
        where r.risk_band = 'high' and r.within_90_days and {segment_match('c')}
        group by t.reporting_currency
        order by t.reporting_currency
    """
    return run(access, viewer, scope, sql, month_params(filters))


def needs_attention(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Counts of the things a leader should look at now (item, count, page), non-zero only."""
    scope = resolve_scope(access, viewer, filters)
    sql = f"""
        select 'Billing exceptions older than 60 days' as item, 'Billing operations' as page,
               count(*) as count
        from {{fct_billing_exceptions}} as e
        join {{dim_customer}} as c on c.tenant_id = e.tenant_id and c.customer_id = e.customer_id
        where e.age_days > 60 and e.due_month <= $end and {segment_match('c')}
        union all
        select 'Delivered work unbilled past its due date', 'Billing operations', count(*)
        from {{fct_unbilled_work}} as u
        join {{dim_customer}} as c on c.tenant_id = u.tenant_id and c.customer_id = u.customer_id
        where u.is_due and {segment_match('c')}
        union all
        select 'Activated contracts with a delayed first invoice', 'Billing operations', count(*)
        from {{kpi_first_invoice_delay}} as d
        join {{dim_customer}} as c on c.tenant_id = d.tenant_id and c.customer_id = d.customer_id
        where d.is_delayed and not d.is_invoiced and {segment_match('c')}
        union all
        select 'Milestones slipping', 'Delivery', count(*)
        from {{fct_milestones}} as m
        join {{dim_customer}} as c on c.tenant_id = m.tenant_id and c.customer_id = m.customer_id
        where m.is_slipping and {segment_match('c')}
        union all
        select 'Devices deployed but not billing', 'Supply chain', count(*)
        from {{kpi_devices_not_billing}} as d
        where d.is_not_billing_as_of and {segment_match('d')}
        union all
        select 'Items in stockout against committed deployments', 'Supply chain', count(*)
        from {{kpi_stock}} as s
        where s.is_stockout and s.month_start = $end
    """
    frame = run(access, viewer, scope, sql, month_params(filters))
    return frame[frame["count"] > 0].reset_index(drop=True)
