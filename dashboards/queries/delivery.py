"""Delivery page data: activation lag, implementation cycle time, slipping milestones and
milestones delivered but not yet billed (ready to bill)."""

from __future__ import annotations

import pandas as pd

from dashboards.access import DataAccess, Viewer
from dashboards.context import Filters
from dashboards.queries.billing_operations import unbilled_work_rows
from dashboards.queries.scope import month_params, resolve_scope, run, segment_match


def activation_lags(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Contracts signed in the period: days from signature to service activation (or waiting)."""
    scope = resolve_scope(access, viewer, filters)
    sql = f"""
        select a.tenant_id, a.contract_id, a.customer_id, c.customer_name, c.segment,
               a.contract_type, a.signed_date, a.service_activated_date, a.is_activated,
               a.activation_lag_days, a.days_waiting
        from {{kpi_activation_lag}} as a
        join {{dim_customer}} as c on c.tenant_id = a.tenant_id and c.customer_id = a.customer_id
        where a.signed_month between $start and $end and {segment_match('c')}
        order by a.signed_date, a.tenant_id, a.contract_id
    """
    return run(access, viewer, scope, sql, month_params(filters))


def implementation_by_month(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Projects that went live per month, their mean cycle time (start to go-live, days), the
    planned one, how many went live late. Tenant-level: the segment does not apply."""
    scope = resolve_scope(access, viewer, filters)
    sql = """
        select month_start, sum(projects_went_live) as projects_went_live,
               sum(projects_live_late) as projects_live_late,
               sum(total_cycle_time_days) / nullif(sum(projects_went_live), 0) as avg_cycle_time_days,
               sum(total_planned_cycle_time_days) / nullif(sum(projects_went_live), 0)
                   as avg_planned_cycle_time_days,
               sum(projects_in_flight) as projects_in_flight
        from {kpi_implementation}
        where month_start between $start and $end
        group by month_start
        order by month_start
    """
    return run(access, viewer, scope, sql, month_params(filters))


def milestone_slippage(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Milestones completed in the period with their slippage (actual - planned date, days)."""
    scope = resolve_scope(access, viewer, filters)
    sql = f"""
        select m.tenant_id, m.project_id, m.milestone_id, m.milestone_name, m.customer_id,
               c.customer_name, m.planned_date, m.completed_date, m.slippage_days
        from {{fct_milestones}} as m
        join {{dim_customer}} as c on c.tenant_id = m.tenant_id and c.customer_id = m.customer_id
        where m.is_completed and date_trunc('month', m.completed_date) between $start and $end
          and {segment_match('c')}
        order by m.completed_date, m.tenant_id, m.milestone_id
    """
    return run(access, viewer, scope, sql, month_params(filters))


def slipping_milestones(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Open milestones past their planned date today, most overdue first."""
    scope = resolve_scope(access, viewer, filters)
    sql = f"""
        select m.tenant_id, m.project_id, m.milestone_id, m.milestone_name, m.customer_id,
               c.customer_name, m.status, m.planned_date, m.days_overdue, m.is_billable,
               m.currency, m.amount
        from {{fct_milestones}} as m
        join {{dim_customer}} as c on c.tenant_id = m.tenant_id and c.customer_id = m.customer_id
        where m.is_slipping and {segment_match('c')}
        order by m.days_overdue desc, m.tenant_id, m.milestone_id
    """
    return run(access, viewer, scope, sql, month_params(filters))


def ready_to_bill(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Completed billable milestones that no invoice covers yet (amounts in contract currency)."""
    return unbilled_work_rows(access, viewer, filters, work_type="milestone", apply_segment=True)
