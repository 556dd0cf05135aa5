"""What `opsintel explain` shows: a KPI figure, the rows behind it and the load batches they came from.

Every supported KPI is one entry of ``KPIS``: where its figure is (a KPI mart), the totals the
rows must add up to (per currency or another grouping column), the detail query over the facts,
and the raw source rows behind one customer. For an average (days of lag, lead time) the
average of the rows must equal the mart's, up to the mart's rounding. The queries take the
named parameters ``$tenant``, ``$month`` (first day), ``$customer`` and ``$as_of``; they read
the published, read-only snapshot of the warehouse.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb


class ExplainError(RuntimeError):
    """The figure cannot be explained; the message says why in one line."""


@dataclass(frozen=True)
class Kpi:
    name: str
    description: str
    # One row: the headline figure (column `figure`), `unit` and any named components to print.
    figure_sql: str
    # Rows (one per `group_by` value): the totals the detail rows must add up to, column for column.
    totals_sql: str
    # The rows behind the figure: `customer_id` (when per customer), `group_by`, the checked
    # columns, `_batch_ids`.
    detail_sql: str
    # Columns summed over the rows, equal to the totals' column of the same name.
    checked: tuple[str, ...]
    # Raw source rows behind one customer's rows: entity, record_id, _batch_id, _source_file, _source_row.
    # Empty when the rows are not per customer (purchase orders, partner statements).
    sources_sql: str
    # (row column, totals column): the average of the row column (nulls left out) equals the
    # totals column, up to the totals' rounding.
    averaged: tuple[tuple[str, str], ...] = ()
    group_by: str = "currency"


# --- detail and source-row queries shared by several KPIs -----------------------------------

_CUSTOMER_MONTHS = """
    select customer_id, reporting_currency as currency, previous_mrr, mrr, arr, movement_type,
           movement_amount, _batch_ids
    from marts.fct_mrr
    where tenant_id = $tenant and month_start = $month
"""

_BRIDGE = "from marts.kpi_mrr_bridge where tenant_id = $tenant and month_start = $month"
_RETENTION = "from marts.kpi_retention where tenant_id = $tenant and month_start = $month"


def _line_item_sources(months_back: tuple[int, ...]) -> str:
    """The recurring line items of the customer active in the month and `months_back` months before."""
    months = ", ".join(f"cast($month - interval {n} month as date)" for n in (0, *months_back))
    return f"""
    select distinct 'subscription_line_items' as entity, line_item_id as record_id,
           _batch_id, _source_file, _source_row
    from marts.fct_subscription_line_months
    where tenant_id = $tenant and customer_id = $customer and month_start in ({months})
    """


def _movement(name: str, magnitude: str, bridge_prefix: str | None = None) -> Kpi:
    """One MRR bridge movement; contraction and churn are positive magnitudes, as in the bridge."""
    prefix = bridge_prefix or name
    return Kpi(
        name=name,
        description=f"{name} MRR of the month (bridge movement) and the customers behind it",
        figure_sql=f"select {prefix}_mrr as figure, reporting_currency as unit, {prefix}_customers as customers {_BRIDGE}",
        totals_sql=f"select reporting_currency as currency, {prefix}_mrr as amount {_BRIDGE}",
        detail_sql=f"""
            select customer_id, currency, previous_mrr, mrr, movement_type, {magnitude} as amount, _batch_ids
            from ({_CUSTOMER_MONTHS}) where movement_type = '{name}' order by customer_id""",
        checked=("amount",),
        sources_sql=_line_item_sources((1,)),
    )


# The members of the month's 12-month cohort, as kpi_retention sums them.
_COHORT = """
    select customer_id, reporting_currency as currency, mrr_then, mrr_now, mrr_now_capped, _batch_ids
    from marts.fct_mrr_cohorts
    where tenant_id = $tenant and month_start = $month
    order by customer_id
"""


def _retention_ratio(name: str, capped: bool) -> Kpi:
    now = "cohort_mrr_now_capped" if capped else "cohort_mrr_now"
    return Kpi(
        name=name,
        description=f"12-month {name.upper()}: {now} / cohort_mrr_then over the customers with MRR twelve months earlier",
        figure_sql=f"select {name} as figure, 'ratio' as unit, cohort_mrr_then, {now}, cohort_customers {_RETENTION}",
        totals_sql=f"""select (select reporting_currency {_BRIDGE}) as currency,
                              cohort_mrr_then as mrr_then, {now} as {now.removeprefix('cohort_')} {_RETENTION}""",
        detail_sql=_COHORT,
        checked=("mrr_then", now.removeprefix("cohort_")),
        sources_sql=_line_item_sources((1, 12, 13)),
    )


_LEAKING_PERIODS = """
    select periods.customer_id, periods.currency, periods.line_item_id, periods.period_start,
           periods.due_date, periods.expected_amount, periods.billed_amount_valid as billed_amount,
           periods.expected_amount - periods.billed_amount_valid as leakage_amount,
           coalesce(exceptions.exception_types, '') as exceptions, periods._batch_ids
    from intermediate.int_billing_periods_reconciled as periods
    left join (
        select billing_period_key, string_agg(exception_type, ', ' order by exception_type) as exception_types
        from marts.fct_billing_exceptions group by billing_period_key
    ) as exceptions using (billing_period_key)
    where periods.tenant_id = $tenant and periods.due_month = $month
        and periods.is_expected and periods.is_due
        and periods.expected_amount > periods.billed_amount_valid
"""

_BILLING_SOURCES = """
    with periods as ({periods}),
    lines as (
        select lines.* from staging.stg_billing__invoice_lines as lines
        inner join periods
            on lines.tenant_id = $tenant and lines.line_item_id = periods.line_item_id
            and lines.period_start = periods.period_start
    )
    select 'subscription_line_items' as entity, line_item_id as record_id, _batch_id, _source_file, _source_row
    from staging.stg_billing__subscription_line_items
    where tenant_id = $tenant and line_item_id in (select line_item_id from periods)
    union
    select 'invoice_lines', invoice_line_id, _batch_id, _source_file, _source_row from lines
    union
    select 'invoices', invoice_id, _batch_id, _source_file, _source_row
    from staging.stg_billing__invoices
    where tenant_id = $tenant and invoice_id in (select invoice_id from lines)
    union
    select 'milestones', milestone_id, _batch_id, _source_file, _source_row
    from staging.stg_projects__milestones
    where tenant_id = $tenant and milestone_id in (select milestone_id from periods)
"""

_UNBILLED_ITEMS = """
    select work.customer_id, work.currency, work.work_type, work.line_item_id,
           coalesce(work.milestone_id, '') as milestone_id, work.period_start, work.delivered_date,
           work.age_days, work.aging_bucket, work.unbilled_amount, work._batch_ids
    from marts.fct_unbilled_work as work
    where work.tenant_id = $tenant
        and cast(date_trunc('month', $as_of) as date) = $month
"""
_UNBILLED_MART = """
    from marts.kpi_unbilled_work
    where tenant_id = $tenant and cast(date_trunc('month', as_of_date) as date) = $month
"""

_RECEIVABLES = """
    select customer_id, currency, 'open receivable' as kind, invoice_id, invoice_date, due_date,
           days_past_due, aging_bucket, open_amount as ar_amount,
           cast(0 as decimal(18, 2)) as billed_amount, _batch_ids
    from intermediate.int_receivables_month_end
    where tenant_id = $tenant and month_start = $month
"""
_INVOICED_90_DAYS = """
    select invoices.customer_id, invoices.currency, 'invoiced in last 90 days' as kind,
           invoices.invoice_id, invoices.invoice_date, invoices.due_date, null as days_past_due,
           null as aging_bucket, cast(0 as decimal(18, 2)) as ar_amount,
           invoices.total_amount as billed_amount, invoices._batch_id as _batch_ids
    from staging.stg_billing__invoices as invoices
    inner join (
        select max(aging_date) as aging_date from marts.kpi_ar_aging
        where tenant_id = $tenant and aging_month = $month
    ) as month_end
        on invoices.invoice_date <= month_end.aging_date
        and invoices.invoice_date > cast(month_end.aging_date - interval 90 day as date)
    where invoices.tenant_id = $tenant and invoices.status <> 'void'
"""
_AR_SOURCES = """
    with receivables as (
        select invoice_id, month_end from intermediate.int_receivables_month_end
        where tenant_id = $tenant and month_start = $month and customer_id = $customer
    )
    select 'invoices' as entity, invoice_id as record_id, _batch_id, _source_file, _source_row
    from staging.stg_billing__invoices
    where tenant_id = $tenant and invoice_id in (select invoice_id from receivables)
    union
    select 'payments', payment_id, _batch_id, _source_file, _source_row
    from staging.stg_billing__payments as payments
    where tenant_id = $tenant and status = 'succeeded'
        and invoice_id in (select invoice_id from receivables)
        and received_date <= (select max(month_end) from receivables)
    union
    select 'credit_notes', credit_note_id, _batch_id, _source_file, _source_row
    from staging.stg_billing__credit_notes
    where tenant_id = $tenant and status <> 'void'
        and invoice_id in (select invoice_id from receivables)
        and issued_date <= (select max(month_end) from receivables)
"""
_AR_MART = "from marts.kpi_ar_aging where tenant_id = $tenant and aging_month = $month"


def _contract_lag(name: str, description: str, mart: str, month_column: str, days: str,
                  counted: dict[str, str], columns: str, sources_sql: str) -> Kpi:
    """A per-contract lag in days (kpi_<mart>, rolled up by contract type in kpi_<mart>_monthly
    and by segment in kpi_<mart>_by_segment): the figure is the average over the tenant's
    contracts of the month, read from the segment rows as their total days over their measured
    contracts; each contract type's counts add up and its rows average to the monthly mart's
    average. The first of ``counted`` counts every contract."""
    where = f"where tenant_id = $tenant and {month_column} = $month"
    flags = ",\n               ".join(f"{flag} as {column}" for column, flag in counted.items())
    every_contract = next(iter(counted))
    return Kpi(
        name=name, description=description,
        figure_sql=f"""select cast(sum(total_{days}) / nullif(sum(contracts_measured), 0) as decimal(18, 1))
                                  as figure,
                              'days' as unit, sum({every_contract}) as contracts,
                              sum(contracts_measured) as contracts_measured, max(max_{days}) as longest
                       from marts.{mart}_by_segment {where} having count(*) > 0""",
        totals_sql=f"""select contract_type, {', '.join(counted)}, average_{days}
                       from marts.{mart}_monthly {where}""",
        detail_sql=f"""select customer_id, contract_type, contract_id, {columns}, {days},
               {flags},
               _batch_ids
            from marts.{mart} {where} order by {days} desc nulls last, contract_id""",
        checked=tuple(counted), averaged=((days, f"average_{days}"),), group_by="contract_type",
        sources_sql=sources_sql)


_CONTRACT_SOURCE = """
    select 'contracts' as entity, contract_id as record_id, _batch_id, _source_file, _source_row
    from staging.stg_crm__contracts
    where tenant_id = $tenant and customer_id = $customer and contract_id in ({contracts})
"""
_FIRST_INVOICE_SOURCES = _CONTRACT_SOURCE.format(contracts="""
        select contract_id from marts.kpi_first_invoice_delay
        where tenant_id = $tenant and customer_id = $customer and activated_month = $month""") + """
    union
    select 'invoices', invoice_id, _batch_id, _source_file, _source_row
    from staging.stg_billing__invoices
    where tenant_id = $tenant and customer_id = $customer and status <> 'void' and invoice_date <= $as_of
        and contract_id in (
            select contract_id from marts.kpi_first_invoice_delay
            where tenant_id = $tenant and customer_id = $customer and activated_month = $month)
"""

_WENT_LIVE = """
    select projects.customer_id, 'all projects' as scope, projects.project_id, projects.project_type,
           projects.start_date, projects.planned_go_live_date, projects.actual_go_live_date,
           datediff('day', projects.start_date, projects.actual_go_live_date) as cycle_time_days,
           datediff('day', projects.planned_go_live_date, projects.actual_go_live_date) as go_live_slip_days,
           1 as projects_went_live,
           case when projects.actual_go_live_date > projects.planned_go_live_date then 1 else 0 end
               as projects_live_late,
           projects._batch_id as _batch_ids
    from staging.stg_projects__implementation_projects as projects
    inner join marts.kpi_implementation as months
        on months.tenant_id = projects.tenant_id and months.month_start = $month
    where projects.tenant_id = $tenant and projects.status <> 'cancelled'
        and projects.actual_go_live_date >= $month and projects.actual_go_live_date <= months.measured_on
"""

_MARGIN_SEGMENTS = "from marts.kpi_margin_by_segment where tenant_id = $tenant and month_start = $month"
_MARGIN_COMPONENTS = ("net_revenue_reporting", "device_cost_reporting", "partner_commission_reporting",
                      "pass_through_cost_reporting", "margin_reporting")
_MARGIN_SOURCES = """
    select 'invoices' as entity, invoice_id as record_id, _batch_id, _source_file, _source_row
    from staging.stg_billing__invoices
    where tenant_id = $tenant and customer_id = $customer and invoice_date <= $as_of
        and cast(date_trunc('month', invoice_date) as date) = $month
    union
    select 'credit_notes', credit_note_id, _batch_id, _source_file, _source_row
    from staging.stg_billing__credit_notes
    where tenant_id = $tenant and customer_id = $customer and status <> 'void' and issued_date <= $as_of
        and cast(date_trunc('month', issued_date) as date) = $month
    union
    select 'device_deployments', deployment_id, _batch_id, _source_file, _source_row
    from staging.stg_procurement__device_deployments
    where tenant_id = $tenant and customer_id = $customer and deployed_date <= $as_of
        and cast(date_trunc('month', deployed_date) as date) = $month
    union
    select 'partners', partners.partner_id, partners._batch_id, partners._source_file, partners._source_row
    from staging.stg_partners__partners as partners
    inner join staging.stg_crm__customers as customers
        on customers.tenant_id = partners.tenant_id and customers.partner_id = partners.partner_id
    where customers.tenant_id = $tenant and customers.customer_id = $customer
"""

_LEAD_TIME_MART = "from marts.kpi_procurement_lead_time where tenant_id = $tenant and ordered_month = $month"

_SETTLEMENTS_MART = "from marts.kpi_partner_settlements where tenant_id = $tenant and period_month = $month"
# The statements recomputed from their sources (statement, partner agreement, sourced revenue),
# the accuracy verdict and lineage taken from the mart.
_STATEMENTS = """
    select settlements.partner_id, settlements.currency, settlements.settlement_id, settlements.status,
           settlements.reported_revenue, coalesce(revenue.partner_revenue, 0) as expected_revenue,
           partners.commission_pct as agreed_commission_pct,
           cast(round(coalesce(revenue.partner_revenue, 0) * partners.commission_pct / 100, 2) as decimal(18, 2))
               as expected_commission,
           settlements.commission_amount as settled_commission,
           kpi.accuracy_status, 1 as statements, case when kpi.is_accurate then 1 else 0 end as accurate_statements,
           kpi._batch_ids
    from staging.stg_partners__partner_settlements as settlements
    inner join staging.stg_partners__partners as partners
        on partners.tenant_id = settlements.tenant_id and partners.partner_id = settlements.partner_id
    left join intermediate.int_partner_revenue_monthly as revenue
        on revenue.tenant_id = settlements.tenant_id and revenue.partner_id = settlements.partner_id
        and revenue.period_month = settlements.period_month and revenue.partner_currency = settlements.currency
    left join marts.kpi_partner_settlements as kpi
        on kpi.tenant_id = settlements.tenant_id and kpi.settlement_id = settlements.settlement_id
    where settlements.tenant_id = $tenant and settlements.period_month = $month
    order by settlements.partner_id, settlements.settlement_id
"""

# The supported KPIs, in the order --help lists them.
KPIS: dict[str, Kpi] = {kpi.name: kpi for kpi in (
    Kpi("mrr", "closing MRR of the month and each customer's MRR and movement",
        f"select closing_mrr as figure, reporting_currency as unit, closing_customers as customers {_BRIDGE}",
        f"select reporting_currency as currency, closing_mrr as mrr {_BRIDGE}",
        f"select * from ({_CUSTOMER_MONTHS}) where mrr <> 0 order by customer_id",
        ("mrr",), _line_item_sources((1,))),
    Kpi("arr", "closing ARR (12 x MRR) and each customer's ARR",
        f"select closing_arr as figure, reporting_currency as unit, closing_customers as customers {_BRIDGE}",
        f"select reporting_currency as currency, closing_arr as arr {_BRIDGE}",
        f"select customer_id, currency, mrr, arr, movement_type, _batch_ids from ({_CUSTOMER_MONTHS}) "
        "where arr <> 0 order by customer_id",
        ("arr",), _line_item_sources(())),
    _movement("new", "movement_amount"),
    _movement("expansion", "movement_amount"),
    _movement("reactivation", "movement_amount"),
    _movement("contraction", "-movement_amount"),
    _movement("churn", "-movement_amount", bridge_prefix="churned"),
    _retention_ratio("nrr", capped=False),
    _retention_ratio("grr", capped=True),
    Kpi("logo_churn", "customers churned in the month / customers with MRR at its start",
        f"select logo_churn_rate as figure, 'ratio' as unit, churned_customers, opening_customers {_RETENTION}",
        f"""select (select reporting_currency {_BRIDGE}) as currency,
                   opening_customers, churned_customers {_RETENTION}""",
        f"""select customer_id, currency, previous_mrr, mrr, movement_type, 1 as opening_customers,
                   case when movement_type = 'churn' then 1 else 0 end as churned_customers, _batch_ids
            from ({_CUSTOMER_MONTHS}) where previous_mrr > 0 order by customer_id""",
        ("opening_customers", "churned_customers"), _line_item_sources((1,))),
    Kpi("revenue_leakage", "expected - billed where positive, per billing period due in the month",
        """select sum(leakage_amount_reporting) as figure, max(reporting_currency) as unit,
                  sum(leaking_period_count) as leaking_periods
           from marts.kpi_revenue_leakage where tenant_id = $tenant and leakage_month = $month
           having count(*) > 0""",
        """select currency, leakage_amount from marts.kpi_revenue_leakage
           where tenant_id = $tenant and leakage_month = $month""",
        f"{_LEAKING_PERIODS} order by periods.customer_id, periods.line_item_id, periods.period_start",
        ("leakage_amount",),
        _BILLING_SOURCES.format(periods=f"{_LEAKING_PERIODS} and periods.customer_id = $customer")),
    Kpi("unbilled_work", "delivered milestones and usage no invoice covers yet, with their age (as-of month only)",
        f"""select sum(unbilled_amount_reporting) as figure, max(reporting_currency) as unit,
                   sum(item_count) as items, max(as_of_date) as as_of_date {_UNBILLED_MART} having count(*) > 0""",
        f"select currency, sum(unbilled_amount) as unbilled_amount {_UNBILLED_MART} group by currency",
        f"{_UNBILLED_ITEMS} order by work.age_days desc, work.customer_id, work.line_item_id",
        ("unbilled_amount",),
        _BILLING_SOURCES.format(periods=f"{_UNBILLED_ITEMS} and work.customer_id = $customer")),
    Kpi("ar_aging", "open receivables at month end by days past due",
        f"""select sum(ar_total_amount_reporting) as figure, max(reporting_currency) as unit,
                   sum(ar_over_90_amount_reporting) as over_90_days, sum(open_invoice_count) as open_invoices
            {_AR_MART} having count(*) > 0""",
        f"select currency, ar_total_amount as ar_amount {_AR_MART}",
        f"select * from ({_RECEIVABLES}) order by days_past_due desc, invoice_id",
        ("ar_amount",), _AR_SOURCES),
    Kpi("dso", "AR at month end / invoiced in the 90 days before x 90",
        """select dso_days as figure, 'days' as unit, ar_total_amount_reporting,
                  billed_last_90_days_amount_reporting, reporting_currency
           from marts.kpi_dso where tenant_id = $tenant and aging_month = $month""",
        f"select currency, ar_total_amount as ar_amount, billed_last_90_days_amount as billed_amount {_AR_MART}",
        f"select * from ({_RECEIVABLES} union all {_INVOICED_90_DAYS}) order by kind desc, invoice_id",
        ("ar_amount", "billed_amount"), _AR_SOURCES),
    _contract_lag(
        "activation_lag", "average days from signature to service activation of the contracts signed in the month",
        "kpi_activation_lag", "signed_month", "activation_lag_days",
        {"contracts_signed": "1", "contracts_activated": "case when is_activated then 1 else 0 end",
         "contracts_over_30_days": "case when activation_lag_days > 30 or days_waiting > 30 then 1 else 0 end"},
        "signed_date, service_activated_date, days_waiting",
        _CONTRACT_SOURCE.format(contracts="""
            select contract_id from marts.kpi_activation_lag
            where tenant_id = $tenant and customer_id = $customer and signed_month = $month""")),
    _contract_lag(
        "first_invoice_delay", "average days from activation to first invoice of the contracts activated in the month",
        "kpi_first_invoice_delay", "activated_month", "first_invoice_delay_days",
        {"contracts_activated": "1", "contracts_invoiced": "case when is_invoiced then 1 else 0 end",
         "contracts_delayed": "case when is_delayed then 1 else 0 end",
         "contracts_invoiced_before_activation": "case when first_invoice_delay_days < 0 then 1 else 0 end"},
        "service_activated_date, first_invoice_date, days_waiting", _FIRST_INVOICE_SOURCES),
    Kpi("implementation", "average implementation cycle time (project start -> go-live) of the projects live in the month",
        """select avg_cycle_time_days as figure, 'days' as unit, projects_went_live, projects_live_late,
                  avg_go_live_slip_days
           from marts.kpi_implementation where tenant_id = $tenant and month_start = $month""",
        """select 'all projects' as scope, projects_went_live, projects_live_late,
                  total_cycle_time_days as cycle_time_days, total_go_live_slip_days as go_live_slip_days,
                  avg_cycle_time_days, avg_go_live_slip_days
           from marts.kpi_implementation where tenant_id = $tenant and month_start = $month""",
        f"{_WENT_LIVE} order by projects.actual_go_live_date, projects.project_id",
        ("projects_went_live", "projects_live_late", "cycle_time_days", "go_live_slip_days"),
        f"""select 'implementation_projects' as entity, project_id as record_id, _batch_id, _source_file, _source_row
            from staging.stg_projects__implementation_projects
            where tenant_id = $tenant and customer_id = $customer
                and project_id in (select project_id from ({_WENT_LIVE}))""",
        averaged=(("cycle_time_days", "avg_cycle_time_days"), ("go_live_slip_days", "avg_go_live_slip_days")),
        group_by="scope"),
    Kpi("margin", "contribution margin of the month: net revenue - device, partner and pass-through costs",
        f"""select sum(margin_reporting) as figure, max(reporting_currency) as unit,
                   sum(net_revenue_reporting) as net_revenue, sum(direct_cost_reporting) as direct_cost,
                   sum(customers) as customers {_MARGIN_SEGMENTS} having count(*) > 0""",
        f"""select reporting_currency, {', '.join(f'sum({c}) as {c}' for c in _MARGIN_COMPONENTS)}
            {_MARGIN_SEGMENTS} group by reporting_currency""",
        f"""select customer_id, segment, currency, net_revenue, direct_cost, margin, reporting_currency,
                   {', '.join(_MARGIN_COMPONENTS)}, _batch_ids
            from marts.kpi_margin where tenant_id = $tenant and month_start = $month
            order by margin_reporting, customer_id""",
        _MARGIN_COMPONENTS, _MARGIN_SOURCES, group_by="reporting_currency"),
    Kpi("procurement_lead_time", "average days from order to full receipt of the purchase orders placed in the month",
        f"""select case when sum(fully_received_orders) > 0
                        then cast(sum(total_lead_time_days) as double) / sum(fully_received_orders) end as figure,
                   'days' as unit, sum(purchase_orders) as purchase_orders,
                   sum(fully_received_orders) as fully_received_orders, sum(late_orders) as late_orders
            {_LEAD_TIME_MART} having count(*) > 0""",
        f"""select vendor_id, purchase_orders, fully_received_orders, late_orders,
                   total_lead_time_days as lead_time_days, avg_lead_time_days {_LEAD_TIME_MART}""",
        """select vendor_id, po_id, item_id, ordered_date, expected_date, fully_received_date, receipt_status,
                  lead_time_days, 1 as purchase_orders,
                  case when receipt_status = 'received' then 1 else 0 end as fully_received_orders,
                  case when is_late then 1 else 0 end as late_orders, _batch_ids
           from marts.fct_purchase_orders
           where tenant_id = $tenant and ordered_month = $month and status <> 'cancelled'
           order by vendor_id, po_id""",
        ("purchase_orders", "fully_received_orders", "late_orders", "lead_time_days"), "",
        averaged=(("lead_time_days", "avg_lead_time_days"),), group_by="vendor_id"),
    Kpi("partner_settlements", "share of the month's partner commission statements that are accurate",
        f"""select cast(sum(case when is_accurate then 1 else 0 end) as double) / count(*) as figure,
                   'ratio' as unit, count(*) as statements,
                   sum(case when is_accurate then 0 else 1 end) as inaccurate_statements,
                   sum(commission_difference_reporting) as commission_difference_reporting
            {_SETTLEMENTS_MART} having count(*) > 0""",
        f"""select currency, count(*) as statements, sum(case when is_accurate then 1 else 0 end) as accurate_statements,
                   sum(expected_revenue) as expected_revenue, sum(expected_commission) as expected_commission,
                   sum(settled_commission) as settled_commission
            {_SETTLEMENTS_MART} group by currency""",
        _STATEMENTS,
        ("statements", "accurate_statements", "expected_revenue", "expected_commission", "settled_commission"), ""),
)}


@dataclass
class Explanation:
    kpi: Kpi
    tenant: str
    month: date
    customer: str | None
    figure: dict
    totals: dict[str, dict[str, Decimal]]
    row_sums: dict[str, dict[str, Decimal]]
    columns: list[str]
    rows: list[tuple]
    batches: list[dict]
    sources: list[dict] = field(default_factory=list)

    @property
    def adds_up(self) -> bool:
        if self.totals.keys() != self.row_sums.keys():
            return False
        averages = {total for _, total in self.kpi.averaged}
        return all(
            _agrees(value, self.row_sums[group].get(column), column in averages)
            for group, values in self.totals.items() for column, value in values.items())


def _agrees(total, rows: Decimal | None, is_average: bool) -> bool:
    """Sums agree exactly; an average agrees within the rounding of the mart's figure."""
    if not is_average or total is None or rows is None:
        return total == rows
    if isinstance(total, float):  # a DOUBLE average: agree to the last bits of a double
        return abs(float(rows) - total) <= 1e-9 * max(1.0, abs(total))
    return abs(rows - total) <= Decimal(5).scaleb(total.as_tuple().exponent - 1)


def _run(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> duckdb.DuckDBPyConnection:
    """Execute with the named parameters the query uses (DuckDB rejects unused ones)."""
    return con.execute(sql, {name: value for name, value in params.items() if f"${name}" in sql})


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _sums_by_group(records: list[dict], kpi: Kpi) -> dict[str, dict[str, Decimal]]:
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: {c: Decimal(0) for c in kpi.checked})
    for record in records:
        for column in kpi.checked:
            sums[str(record[kpi.group_by])][column] += Decimal(record[column] or 0)
    return sums


def _totals(records: list[dict], kpi: Kpi) -> dict[str, dict]:
    """The mart's totals per group: checked columns summed, averages as the mart has them."""
    totals = _sums_by_group(records, kpi)
    for record in records:
        for _, column in kpi.averaged:
            totals[str(record[kpi.group_by])][column] = record[column]
    return {group: values for group, values in totals.items() if any(values.values())}


def _row_figures(records: list[dict], kpi: Kpi) -> dict[str, dict]:
    """The detail rows' sums per group and, for averaged columns, their exact average."""
    figures = _sums_by_group(records, kpi)
    for row_column, column in kpi.averaged:
        for group, values in figures.items():
            present = [Decimal(str(r[row_column])) for r in records
                       if str(r[kpi.group_by]) == group and r[row_column] is not None]
            values[column] = sum(present) / len(present) if present else None
    return {group: values for group, values in figures.items() if any(values.values())}


def _batches(con: duckdb.DuckDBPyConnection, batch_lists: list[str | None]) -> list[dict]:
    ids = sorted({b for ids in batch_lists if ids for b in ids.split(", ")})
    if not ids:
        return []
    return _dicts(con.execute("""
        select batch_id, any_value(source) as source, string_agg(file, ', ' order by file) as files,
               strftime(max(finished_at), '%Y-%m-%d %H:%M:%S') as loaded_at
        from raw.load_audit
        where outcome = 'loaded' and batch_id in (select unnest($ids))
        group by batch_id order by batch_id
    """, {"ids": ids}))


def _check_exists(con: duckdb.DuckDBPyConnection, tenant: str, customer: str | None) -> None:
    present = {name for (name,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}
    if "dim_tenant" not in present:
        raise ExplainError("the marts are not built yet: run `make materialize` (or dbt build)")
    if not con.execute("select count(*) from marts.dim_tenant where tenant_id = $t", {"t": tenant}).fetchall()[0][0]:
        raise ExplainError(f"unknown tenant {tenant!r}")
    if customer is not None and not con.execute(
            "select count(*) from marts.dim_customer where tenant_id = $t and customer_id = $c",
            {"t": tenant, "c": customer}).fetchall()[0][0]:
        raise ExplainError(f"unknown customer {customer!r} of tenant {tenant}")


def explain(con: duckdb.DuckDBPyConnection, kpi_name: str, tenant: str, month: date,
            customer: str | None = None) -> Explanation:
    """The figure of `kpi_name` for a tenant and month, the rows behind it and their load batches."""
    kpi = KPIS[kpi_name]
    _check_exists(con, tenant, customer)
    as_of = con.execute("select max(as_of_date) from marts.kpi_unbilled_work").fetchall()[0][0] or month
    params = {"tenant": tenant, "month": month, "customer": customer, "as_of": as_of}
    figures = _dicts(_run(con, kpi.figure_sql, params))
    detail = _run(con, kpi.detail_sql, params)
    columns = [d[0] for d in detail.description]
    rows = detail.fetchall()
    # An average has no figure while none of its rows is measured yet (every contract activated
    # in the month still waits for its first invoice): the waiting rows are still worth showing.
    if not figures or (figures[0]["figure"] is None and not rows):
        raise ExplainError(f"no {kpi.name} figure for tenant {tenant} in {month:%Y-%m}")
    if customer is not None and "customer_id" not in columns:
        raise ExplainError(f"{kpi.name} rows are not per customer: leave out --customer")
    records = [dict(zip(columns, row)) for row in rows]
    shown = [r for r, rec in zip(rows, records) if customer is None or rec["customer_id"] == customer]
    shown_batches = [rec["_batch_ids"] for rec in records if customer is None or rec["customer_id"] == customer]
    sources: list[dict] = []
    if customer is not None:
        sources = _dicts(_run(
            con, f"select * from ({kpi.sources_sql}) order by entity, _source_file, _source_row", params))
    return Explanation(
        kpi=kpi, tenant=tenant, month=month, customer=customer, figure=figures[0],
        totals=_totals(_dicts(_run(con, kpi.totals_sql, params)), kpi),
        row_sums=_row_figures(records, kpi),
        columns=columns, rows=shown, batches=_batches(con, shown_batches), sources=sources)


# --- rendering ---------------------------------------------------------------------------------

def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _table(headers: list[str], rows: list[tuple]) -> str:
    cells = [headers] + [[_text(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [bool(rows) and all(isinstance(r[i], (int, Decimal, float)) or r[i] is None for r in rows)
               for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(row, widths, numeric)).rstrip()
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def headline(e: Explanation) -> str:
    extras = ", ".join(f"{k}: {_text(v)}" for k, v in e.figure.items() if k not in ("figure", "unit"))
    figure = "none yet" if e.figure["figure"] is None else f"{_text(e.figure['figure'])} {e.figure['unit']}"
    return (f"{e.kpi.name} of {e.tenant} in {e.month:%Y-%m}: {figure}"
            + (f" ({extras})" if extras else ""))


def check_line(e: Explanation) -> str:
    totals = "; ".join(f"{currency} {column} {_text(value)}"
                       for currency, values in sorted(e.totals.items()) for column, value in values.items())
    return f"rows add up to the figure: {'yes' if e.adds_up else 'NO'}" + (f" ({totals})" if totals else "")


def render_table(e: Explanation) -> str:
    whose = f" of customer {e.customer}" if e.customer else ""
    parts = [headline(e), e.kpi.description, check_line(e), "",
             f"Rows behind the figure{whose} ({len(e.rows)})", _table(e.columns, e.rows), "",
             f"Load batches of these rows ({len(e.batches)})",
             _table(["batch_id", "source", "files", "loaded_at"],
                    [(b["batch_id"], b["source"], b["files"], b["loaded_at"]) for b in e.batches])]
    if e.customer:
        parts += ["", f"Raw source rows{whose} ({len(e.sources)})",
                  _table(["entity", "record_id", "file", "row", "batch_id"],
                         [(s["entity"], s["record_id"], s["_source_file"], s["_source_row"], s["_batch_id"])
                          for s in e.sources])]
    return "\n".join(parts)


def _plain(value):
    return str(value) if isinstance(value, (Decimal, date)) else value


def to_json_dict(e: Explanation) -> dict:
    """Everything shown, JSON-ready (decimals and dates as strings, so nothing is rounded)."""
    return {
        "kpi": e.kpi.name, "tenant": e.tenant, "month": f"{e.month:%Y-%m}", "customer": e.customer,
        "figure": {k: _plain(v) for k, v in e.figure.items()},
        "rows_add_up": e.adds_up,
        "totals": {c: {k: _plain(v) for k, v in values.items()} for c, values in e.totals.items()},
        "rows": [{k: _plain(v) for k, v in zip(e.columns, row)} for row in e.rows],
        "batches": e.batches,
        "source_rows": [{k: _plain(v) for k, v in s.items()} for s in e.sources],
    }
