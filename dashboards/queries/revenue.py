"""Revenue page data: MRR bridge, MRR / ARR and retention by month, cohorts, ARR by dimension.

Figures follow the metric contract (DESIGN.md) with the rules of the dbt macros
``mrr_retention_kpis`` and ``mrr_bridge_aggregates``: read from the consolidated marts when the
scope allows, otherwise recomputed from ``fct_mrr`` for the tenants and segment in view, on the
reporting-currency or group-currency MRR of each customer-month.
"""

from __future__ import annotations

from typing import Literal, get_args

import pandas as pd

from dashboards.access import DataAccess, Viewer
from dashboards.context import Filters
from dashboards.queries.scope import (
    month_params,
    previous_month,
    resolve_scope,
    run,
    segment_match,
    shift_months,
)

BRIDGE_COLUMNS = ("opening_mrr", "new_mrr", "expansion_mrr", "reactivation_mrr",
                  "contraction_mrr", "churned_mrr", "closing_mrr")

ArrDimension = Literal["segment", "region", "partner", "product"]
ARR_DIMENSIONS: tuple[str, ...] = get_args(ArrDimension)

# Customer-months of the tenants and segment in view from $months_from, in the scope's currency.
_CUSTOMER_MONTHS = """
    select m.tenant_id, m.customer_id, m.month_start, m.first_mrr_month,
           m.{mrr_column} as mrr, m.{previous_column} as previous_mrr,
           m.{movement_column} as movement_type
    from {{fct_mrr}} as m
    join {{dim_customer}} as c on c.tenant_id = m.tenant_id and c.customer_id = m.customer_id
    where {segment} and m.month_start between $months_from and $end
"""


def _customer_months(group: bool) -> str:
    if group:
        columns = ("mrr_group", "previous_mrr_group", "movement_type_group")
    else:
        columns = ("mrr", "previous_mrr", "movement_type")
    return _CUSTOMER_MONTHS.format(mrr_column=columns[0], previous_column=columns[1],
                                   movement_column=columns[2], segment=segment_match("c"))


def retention_by_month(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """MRR, ARR, customers, logo churn rate, NRR and GRR per month, from the month before the
    period (for "change vs last month") to its end; plus the currency."""
    scope = resolve_scope(access, viewer, filters)
    params = month_params(filters)
    params["from_month"] = previous_month(params["start"])
    if scope.consolidated and filters.segment is None:
        sql = """
            select month_start, mrr, arr, active_customers, opening_customers, churned_customers,
                   logo_churn_rate, nrr, grr
            from {kpi_retention_consolidated}
            where month_start between $from_month and $end
            order by month_start
        """
    else:
        # The cohort of month M is the customers with MRR twelve months earlier.
        params["months_from"] = shift_months(params["from_month"], -12)
        sql = f"""
            with customer_months as ({_customer_months(scope.group)}),
            monthly as (
                select month_start, sum(mrr) as mrr,
                       count(case when mrr > 0 then 1 end) as active_customers,
                       count(case when previous_mrr > 0 then 1 end) as opening_customers,
                       count(case when movement_type = 'churn' then 1 end) as churned_customers
                from customer_months
                where month_start between $from_month and $end
                group by month_start
            ),
            cohorts as (
                select now_month.month_start,
                       sum(then_month.mrr) as mrr_then,
                       sum(now_month.mrr) as mrr_now,
                       sum(least(now_month.mrr, then_month.mrr)) as mrr_now_capped
                from customer_months as then_month
                join customer_months as now_month
                  on now_month.tenant_id = then_month.tenant_id
                 and now_month.customer_id = then_month.customer_id
                 and now_month.month_start = cast(then_month.month_start + interval 12 month as date)
                where then_month.mrr > 0 and now_month.month_start between $from_month and $end
                group by now_month.month_start
            )
            select monthly.month_start, monthly.mrr, 12 * monthly.mrr as arr,
                   monthly.active_customers, monthly.opening_customers, monthly.churned_customers,
                   monthly.churned_customers / nullif(monthly.opening_customers, 0) as logo_churn_rate,
                   cohorts.mrr_now / nullif(cohorts.mrr_then, 0) as nrr,
                   cohorts.mrr_now_capped / nullif(cohorts.mrr_then, 0) as grr
            from monthly left join cohorts using (month_start)
            order by monthly.month_start
        """
    frame = run(access, viewer, scope, sql, params)
    frame["currency"] = scope.currency
    return frame


def mrr_bridge(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Opening, new, expansion, reactivation, contraction, churned and closing MRR per month of
    the period; contraction and churn as positive magnitudes, so the bridge closes exactly."""
    scope = resolve_scope(access, viewer, filters)
    params = month_params(filters)
    params["months_from"] = params["start"]
    if scope.consolidated and filters.segment is None:
        sql = f"""
            select month_start, {', '.join(BRIDGE_COLUMNS)}
            from {{kpi_mrr_bridge_consolidated}}
            where month_start between $start and $end
            order by month_start
        """
    else:
        sql = f"""
            with customer_months as ({_customer_months(scope.group)})
            select month_start,
                   sum(previous_mrr) as opening_mrr,
                   sum(case when movement_type = 'new' then mrr - previous_mrr else 0 end) as new_mrr,
                   sum(case when movement_type = 'expansion' then mrr - previous_mrr else 0 end) as expansion_mrr,
                   sum(case when movement_type = 'reactivation' then mrr - previous_mrr else 0 end)
                       as reactivation_mrr,
                   sum(case when movement_type = 'contraction' then previous_mrr - mrr else 0 end)
                       as contraction_mrr,
                   sum(case when movement_type = 'churn' then previous_mrr - mrr else 0 end) as churned_mrr,
                   sum(mrr) as closing_mrr
            from customer_months
            group by month_start
            order by month_start
        """
    frame = run(access, viewer, scope, sql, params)
    frame["currency"] = scope.currency
    return frame


def mrr_movements(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """The customer-months behind the bridge: every customer whose MRR moved in the period."""
    scope = resolve_scope(access, viewer, filters)
    movement_type = scope.pick("m.movement_type", "m.movement_type_group")
    previous_mrr = scope.pick("m.previous_mrr", "m.previous_mrr_group")
    mrr = scope.pick("m.mrr", "m.mrr_group")
    # fct_mrr_movements holds the moving customer-months of fct_mrr, customer attached.
    sql = f"""
        select m.tenant_id, m.customer_id, m.customer_name, m.segment, m.month_start,
               {movement_type} as movement_type, {previous_mrr} as previous_mrr, {mrr} as mrr,
               {mrr} - {previous_mrr} as movement_amount
        from {{fct_mrr_movements}} as m
        where {segment_match('m')} and m.month_start between $start and $end
          and {movement_type} <> 'none'
        order by m.month_start, m.tenant_id, m.customer_id
    """
    frame = run(access, viewer, scope, sql, month_params(filters))
    frame["currency"] = scope.currency
    return frame


def cohort_retention(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Logo retention of each monthly cohort (customers whose first MRR month is in the period):
    the share of the cohort still paying (MRR > 0) N months after its first month."""
    scope = resolve_scope(access, viewer, filters)
    params = month_params(filters)
    sql = f"""
        select m.first_mrr_month as cohort_month,
               cast(date_diff('month', m.first_mrr_month, m.month_start) as integer) as months_since_start,
               count(case when m.mrr > 0 then 1 end) as retained_customers
        from {{fct_mrr}} as m
        join {{dim_customer}} as c on c.tenant_id = m.tenant_id and c.customer_id = m.customer_id
        where {segment_match('c')}
          and m.first_mrr_month between $start and $end and m.month_start <= $end
        group by all
    """
    frame = run(access, viewer, scope, sql, params)
    sizes = frame[frame["months_since_start"] == 0].set_index("cohort_month")["retained_customers"]
    frame["cohort_customers"] = frame["cohort_month"].map(sizes)
    frame["retention_rate"] = frame["retained_customers"] / frame["cohort_customers"]
    return frame.sort_values(["cohort_month", "months_since_start"]).reset_index(drop=True)


_ARR_BY_CUSTOMER_DIMENSION = {
    "segment": "c.segment",
    "region": "c.region",
    "partner": "coalesce(c.partner_name, 'Direct')",
}


def arr_by(access: DataAccess, viewer: Viewer, filters: Filters,
           dimension: ArrDimension) -> pd.DataFrame:
    """ARR (12 x MRR) at the period's last month by segment, region, partner or product."""
    if dimension not in ARR_DIMENSIONS:
        raise ValueError(f"ARR can be shown by {', '.join(ARR_DIMENSIONS)}, not {dimension!r}")
    scope = resolve_scope(access, viewer, filters)
    params = month_params(filters)
    if dimension == "product":
        amount = scope.pick("l.monthly_amount_reporting", "l.monthly_amount_group")
        sql = f"""
            select p.product_name as label, 12 * sum({amount}) as arr,
                   count(distinct l.tenant_id || '/' || l.customer_id) as customers
            from {{fct_subscription_line_months}} as l
            join {{dim_product}} as p on p.tenant_id = l.tenant_id and p.product_id = l.product_id
            join {{dim_customer}} as c on c.tenant_id = l.tenant_id and c.customer_id = l.customer_id
            where l.month_start = $end and {segment_match('c')}
            group by p.product_name
            having sum({amount}) <> 0
            order by arr desc
        """
    else:
        label = _ARR_BY_CUSTOMER_DIMENSION[dimension]
        mrr = scope.pick("m.mrr", "m.mrr_group")
        sql = f"""
            select {label} as label, 12 * sum({mrr}) as arr,
                   count(case when {mrr} > 0 then 1 end) as customers
            from {{fct_mrr}} as m
            join {{dim_customer}} as c on c.tenant_id = m.tenant_id and c.customer_id = m.customer_id
            where m.month_start = $end and {segment_match('c')}
            group by all
            having sum({mrr}) <> 0
            order by arr desc
        """
    frame = run(access, viewer, scope, sql, params)
    frame["currency"] = scope.currency
    return frame
