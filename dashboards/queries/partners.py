"""Partners page data: settlements and their accuracy, channel margin by partner."""

from __future__ import annotations

import pandas as pd

from dashboards.access import DataAccess, Viewer
from dashboards.context import Filters
from dashboards.queries.scope import month_params, resolve_scope, run, segment_match


def settlements_by_partner(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Settlements for months of the period per partner: how many, how many accurate (settled
    commission = expected), commission expected and settled. Tenant-level: no segment."""
    scope = resolve_scope(access, viewer, filters)
    suffix = scope.pick("reporting", "group")
    sql = f"""
        select tenant_id, partner_id, partner_name, count(*) as settlements,
               count(case when is_accurate then 1 end) as accurate_settlements,
               count(case when is_accurate then 1 end) / count(*) as accuracy,
               sum(expected_commission_{suffix}) as expected_commission,
               sum(settled_commission_{suffix}) as settled_commission,
               sum(commission_difference_{suffix}) as commission_difference
        from {{kpi_partner_settlements}}
        where period_month between $start and $end
        group by all
        order by accuracy, tenant_id, partner_id
    """
    frame = run(access, viewer, scope, sql, month_params(filters))
    frame["currency"] = scope.currency
    return frame


def settlement_rows(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """The settlements behind the partner figures (settlement currency and reporting currency)."""
    scope = resolve_scope(access, viewer, filters)
    sql = """
        select tenant_id, settlement_id, partner_id, partner_name, period_month, status,
               accuracy_status, is_accurate, currency, reported_revenue, expected_revenue,
               expected_commission, settled_commission, commission_difference
        from {kpi_partner_settlements}
        where period_month between $start and $end
        order by period_month, tenant_id, settlement_id
    """
    return run(access, viewer, scope, sql, month_params(filters))


def channel_margin(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Margin of partner-sourced customers over the period per partner: net revenue, direct
    costs (devices, partner commission, pass-through) and margin."""
    scope = resolve_scope(access, viewer, filters)
    suffix = scope.pick("reporting", "group")
    sql = f"""
        select m.tenant_id, m.partner_id, p.partner_name,
               count(distinct m.customer_id) as customers,
               sum(m.net_revenue_{suffix}) as net_revenue,
               sum(m.direct_cost_{suffix}) as direct_cost,
               sum(m.margin_{suffix}) as margin,
               sum(m.margin_{suffix}) / nullif(sum(m.net_revenue_{suffix}), 0) as margin_pct
        from {{kpi_margin}} as m
        join {{dim_partner}} as p on p.tenant_id = m.tenant_id and p.partner_id = m.partner_id
        where m.is_partner_sourced and m.month_start between $start and $end
          and {segment_match('m')}
        group by all
        order by margin desc, m.tenant_id, m.partner_id
    """
    frame = run(access, viewer, scope, sql, month_params(filters))
    frame["currency"] = scope.currency
    return frame
