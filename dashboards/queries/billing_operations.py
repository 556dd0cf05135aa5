"""Billing operations page data: leakage, exceptions by type and age, the anomaly review queue,
unbilled delivered work, delayed first invoices, AR aging and DSO.

Exception and unbilled-work rows carry the contract currency (the marts hold no rate to convert
them), so their amounts are summed per currency; the tenant-level KPIs are in the scope's
reporting or group currency.
"""

from __future__ import annotations

import pandas as pd

from dashboards.access import DataAccess, Viewer
from dashboards.context import Filters
from dashboards.queries.scope import (
    REVIEW_QUEUE_NOT_BUILT,
    month_params,
    previous_month,
    require_mart,
    resolve_scope,
    run,
    segment_match,
)

AR_BUCKETS = ("ar_current_amount", "ar_1_30_amount", "ar_31_60_amount", "ar_61_90_amount",
              "ar_over_90_amount")


def leakage_by_month(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Expected, billed and leaked revenue per month (leakage = expected - billed where positive),
    from the month before the period to its end. Tenant-level: the segment does not apply."""
    scope = resolve_scope(access, viewer, filters)
    params = month_params(filters)
    params["from_month"] = previous_month(params["start"])
    if scope.consolidated:
        sql = """
            select leakage_month as month_start, expected_amount_group as expected_amount,
                   billed_amount_group as billed_amount, leakage_amount_group as leakage_amount
            from {kpi_revenue_leakage_consolidated}
            where leakage_month between $from_month and $end
            order by leakage_month
        """
    else:
        suffix = scope.pick("reporting", "group")
        sql = f"""
            select leakage_month as month_start,
                   sum(expected_amount_{suffix}) as expected_amount,
                   sum(billed_amount_{suffix}) as billed_amount,
                   sum(leakage_amount_{suffix}) as leakage_amount
            from {{kpi_revenue_leakage}}
            where leakage_month between $from_month and $end
            group by leakage_month
            order by leakage_month
        """
    frame = run(access, viewer, scope, sql, params)
    frame["currency"] = scope.currency
    return frame


# fct_billing_exceptions_aged: the exceptions with their age bucket, customer name and segment.
_EXCEPTIONS_IN_VIEW = f"""
    select * from {{fct_billing_exceptions_aged}} as e
    where e.due_month between $start and $end and {segment_match('e')}
"""


def exceptions_by_type_and_age(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Billing exceptions due in the period by type, age bucket and currency: how many, what was
    expected and billed, the leakage (under-billed) and the over-billed amount."""
    scope = resolve_scope(access, viewer, filters)
    sql = f"""
        select e.exception_type, e.age_bucket, e.currency,
               cast(sum(e.exceptions) as bigint) as exceptions,
               sum(e.expected_amount) as expected_amount, sum(e.billed_amount) as billed_amount,
               sum(e.leakage_amount) as leakage_amount,
               sum(e.over_billed_amount) as over_billed_amount
        from {{kpi_billing_exceptions_by_age}} as e
        where e.due_month between $start and $end and {segment_match('e')}
        group by e.exception_type, e.age_bucket, e.currency
        order by e.exception_type, e.age_bucket, e.currency
    """
    return run(access, viewer, scope, sql, month_params(filters))


def exception_rows(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """The exceptions behind the summary, oldest first."""
    scope = resolve_scope(access, viewer, filters)
    # Ordered to the exception's key (tenant, line item, period, type) after the age, so
    # the list and its CSV come out the same on every load.
    sql = f"""
        with exceptions as ({_EXCEPTIONS_IN_VIEW})
        select tenant_id, exception_type, age_bucket, age_days, customer_id, customer_name,
               contract_id, line_item_id, invoice_id, period_start, period_end, due_date, currency,
               expected_amount, billed_amount, difference_amount, leakage_amount
        from exceptions
        order by age_days desc, tenant_id, customer_id, line_item_id, period_start, exception_type
    """
    return run(access, viewer, scope, sql, month_params(filters))


def review_queue(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """The anomaly review queue (rules and model), highest priority first."""
    require_mart(access, "billing_review_queue", REVIEW_QUEUE_NOT_BUILT)
    scope = resolve_scope(access, viewer, filters)
    sql = f"""
        select q.*, c.customer_name, c.segment
        from {{billing_review_queue}} as q
        left join {{dim_customer}} as c on c.tenant_id = q.tenant_id and c.customer_id = q.customer_id
        where {segment_match('c')}
    """
    frame = run(access, viewer, scope, sql, month_params(filters))
    order = [column for column in ("priority_rank", "tenant_id") if column in frame.columns]
    return frame.sort_values(order).reset_index(drop=True) if order else frame


def unbilled_work_summary(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Delivered work no invoice covers yet, as of the warehouse date, by type and age bucket
    (in the scope's currency). Tenant-level: the segment does not apply."""
    scope = resolve_scope(access, viewer, filters)
    if scope.consolidated:
        sql = """
            select work_type, aging_bucket, sum(item_count) as items,
                   sum(unbilled_amount_group) as unbilled_amount,
                   sum(overdue_unbilled_amount_group) as overdue_unbilled_amount
            from {kpi_unbilled_work_consolidated}
            group by all order by work_type, aging_bucket
        """
    else:
        suffix = scope.pick("reporting", "group")
        sql = f"""
            select work_type, aging_bucket, sum(item_count) as items,
                   sum(unbilled_amount_{suffix}) as unbilled_amount,
                   sum(overdue_unbilled_amount_{suffix}) as overdue_unbilled_amount
            from {{kpi_unbilled_work}}
            group by all order by work_type, aging_bucket
        """
    frame = run(access, viewer, scope, sql, {})
    frame["currency"] = scope.currency
    return frame


def unbilled_work_rows(access: DataAccess, viewer: Viewer, filters: Filters, *,
                       work_type: str | None = None, apply_segment: bool = False) -> pd.DataFrame:
    """The unbilled items (amounts in the contract currency), oldest first. Rows behind the
    tenant-level summary ignore the segment; lists of their own may apply it."""
    scope = resolve_scope(access, viewer, filters)
    params = month_params(filters)
    params["work_type"] = work_type
    if not apply_segment:
        params["segment"] = None
    sql = f"""
        select u.tenant_id, u.work_type, u.aging_bucket, u.age_days, u.customer_id,
               c.customer_name, u.contract_id, u.line_item_id, u.milestone_id, u.period_start,
               u.period_end, u.delivered_date, u.due_date, u.is_due, u.currency, u.unbilled_amount
        from {{fct_unbilled_work}} as u
        join {{dim_customer}} as c on c.tenant_id = u.tenant_id and c.customer_id = u.customer_id
        where (cast($work_type as varchar) is null or u.work_type = $work_type)
          and {segment_match('c')}
        order by u.age_days desc, u.tenant_id, u.customer_id
    """
    return run(access, viewer, scope, sql, params)


def first_invoice_delays(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Contracts activated in the period whose first invoice is delayed (or still missing)."""
    scope = resolve_scope(access, viewer, filters)
    sql = f"""
        select d.tenant_id, d.contract_id, d.customer_id, c.customer_name, d.contract_type,
               d.service_activated_date, d.first_invoice_date, d.is_invoiced,
               d.first_invoice_delay_days, d.days_waiting
        from {{kpi_first_invoice_delay}} as d
        join {{dim_customer}} as c on c.tenant_id = d.tenant_id and c.customer_id = d.customer_id
        where d.activated_month between $start and $end and {segment_match('c')} and d.is_delayed
        order by coalesce(d.first_invoice_delay_days, d.days_waiting) desc, d.tenant_id, d.contract_id
    """
    return run(access, viewer, scope, sql, month_params(filters))


def first_invoice_delay_by_month(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Per activation month: contracts activated, invoiced, delayed and the mean delay (days)."""
    scope = resolve_scope(access, viewer, filters)
    # The mean of a selection: its total delay days over its contracts with a delay.
    sql = f"""
        select d.activated_month as month_start,
               cast(sum(d.contracts_activated) as bigint) as contracts_activated,
               cast(sum(d.contracts_invoiced) as bigint) as contracts_invoiced,
               cast(sum(d.contracts_delayed) as bigint) as contracts_delayed,
               sum(d.total_first_invoice_delay_days) / nullif(sum(d.contracts_measured), 0)
                   as average_delay_days
        from {{kpi_first_invoice_delay_by_segment}} as d
        where d.activated_month between $start and $end and {segment_match('d')}
        group by d.activated_month
        order by d.activated_month
    """
    return run(access, viewer, scope, sql, month_params(filters))


def ar_aging(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Accounts receivable at the end of the period's last month by age bucket.
    Tenant-level: the segment does not apply."""
    scope = resolve_scope(access, viewer, filters)
    if scope.consolidated:
        columns = ", ".join(f"sum({bucket}_group) as {bucket}" for bucket in AR_BUCKETS)
        table = "{kpi_ar_aging_consolidated}"
    else:
        suffix = scope.pick("reporting", "group")
        columns = ", ".join(f"sum({bucket}_{suffix}) as {bucket}" for bucket in AR_BUCKETS)
        table = "{kpi_ar_aging}"
    sql = f"""
        select aging_month as month_start, sum(open_invoice_count) as open_invoices, {columns}
        from {table}
        where aging_month = $end
        group by aging_month
    """
    frame = run(access, viewer, scope, sql, month_params(filters))
    frame["currency"] = scope.currency
    return frame


def dso_by_month(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Days sales outstanding per month (kpi_dso; DSO of several tenants: the ratio of the sums
    of their DSO numerators and invoiced amounts)."""
    scope = resolve_scope(access, viewer, filters)
    params = month_params(filters)
    params["from_month"] = previous_month(params["start"])
    if scope.consolidated:
        sql = """
            select aging_month as month_start, ar_total_amount_group as ar_total_amount,
                   billed_last_90_days_amount_group as billed_last_90_days_amount, dso_days
            from {kpi_ar_aging_consolidated}
            where aging_month between $from_month and $end
            order by aging_month
        """
    else:
        suffix = scope.pick("reporting", "group")
        sql = f"""
            select aging_month as month_start,
                   sum(ar_total_amount_{suffix}) as ar_total_amount,
                   sum(billed_last_90_days_amount_{suffix}) as billed_last_90_days_amount,
                   cast(sum(dso_numerator_{suffix})
                        / nullif(sum(billed_last_90_days_amount_{suffix}), 0) as decimal(18, 1)) as dso_days
            from {{kpi_dso}}
            where aging_month between $from_month and $end
            group by aging_month
            order by aging_month
        """
    frame = run(access, viewer, scope, sql, params)
    frame["currency"] = scope.currency
    return frame


def open_invoices(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Invoices with an open amount today (invoice currency), most overdue first."""
    scope = resolve_scope(access, viewer, filters)
    # fct_open_invoices: the invoices of fct_invoices with an open amount, not void.
    sql = f"""
        select i.tenant_id, i.invoice_number, i.customer_id, i.customer_name, i.invoice_date,
               i.due_date, i.days_past_due_as_of, i.currency, i.total_amount, i.paid_amount,
               i.credited_amount, i.open_amount
        from {{fct_open_invoices}} as i
        where {segment_match('i')}
        order by i.days_past_due_as_of desc nulls last, i.tenant_id, i.invoice_number
    """
    return run(access, viewer, scope, sql, month_params(filters))
