"""Revenue page data: MRR bridge, MRR / ARR and retention by month, cohorts, ARR by dimension.

Every figure is read from a dbt mart (definitions in the metric contract, DESIGN.md, and the
dbt macros ``mrr_retention_kpis`` and ``mrr_bridge_aggregates``): the consolidated marts when
the scope allows, otherwise the marts by tenant and segment, summed over the tenants and
segment in view in the reporting-currency or group-currency columns. Ratios of a selection
are ratios of the summed components (NRR = sum(cohort_mrr_now) / sum(cohort_mrr_then)).
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
)

BRIDGE_COLUMNS = ("opening_mrr", "new_mrr", "expansion_mrr", "reactivation_mrr",
                  "contraction_mrr", "churned_mrr", "closing_mrr")

ArrDimension = Literal["segment", "region", "partner", "product"]
ARR_DIMENSIONS: tuple[str, ...] = get_args(ArrDimension)

# Retention of the tenants and segment in view from kpi_retention_by_segment; {s} is the
# currency suffix of the columns ('' reporting, '_group' group currency).
_RETENTION_BY_SEGMENT = f"""
    select r.month_start, sum(r.mrr{{s}}) as mrr, sum(r.arr{{s}}) as arr,
           cast(sum(r.active_customers{{s}}) as bigint) as active_customers,
           cast(sum(r.opening_customers{{s}}) as bigint) as opening_customers,
           cast(sum(r.churned_customers{{s}}) as bigint) as churned_customers,
           sum(r.churned_customers{{s}}) / nullif(sum(r.opening_customers{{s}}), 0) as logo_churn_rate,
           sum(r.cohort_mrr_now{{s}}) / nullif(sum(r.cohort_mrr_then{{s}}), 0) as nrr,
           sum(r.cohort_mrr_now_capped{{s}}) / nullif(sum(r.cohort_mrr_then{{s}}), 0) as grr
    from {{{{kpi_retention_by_segment}}}} as r
    where r.month_start between $from_month and $end and {segment_match('r')}
    group by r.month_start
    order by r.month_start
"""

_BRIDGE_BY_SEGMENT = f"""
    select b.month_start, {{columns}}
    from {{{{kpi_mrr_bridge_by_segment}}}} as b
    where b.month_start between $start and $end and {segment_match('b')}
    group by b.month_start
    order by b.month_start
"""


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
        sql = _RETENTION_BY_SEGMENT.format(s=scope.pick("", "_group"))
    frame = run(access, viewer, scope, sql, params)
    frame["currency"] = scope.currency
    return frame


def mrr_bridge(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """Opening, new, expansion, reactivation, contraction, churned and closing MRR per month of
    the period; contraction and churn as positive magnitudes, so the bridge closes exactly."""
    scope = resolve_scope(access, viewer, filters)
    if scope.consolidated and filters.segment is None:
        sql = f"""
            select month_start, {', '.join(BRIDGE_COLUMNS)}
            from {{kpi_mrr_bridge_consolidated}}
            where month_start between $start and $end
            order by month_start
        """
    else:
        suffix = scope.pick("", "_group")
        sql = _BRIDGE_BY_SEGMENT.format(columns=", ".join(
            f"sum(b.{column}{suffix}) as {column}" for column in BRIDGE_COLUMNS))
    frame = run(access, viewer, scope, sql, month_params(filters))
    frame["currency"] = scope.currency
    return frame


def mrr_movements(access: DataAccess, viewer: Viewer, filters: Filters) -> pd.DataFrame:
    """The customer-months behind the bridge: every customer whose MRR moved in the period."""
    scope = resolve_scope(access, viewer, filters)
    movement_type = scope.pick("m.movement_type", "m.movement_type_group")
    previous_mrr = scope.pick("m.previous_mrr", "m.previous_mrr_group")
    mrr = scope.pick("m.mrr", "m.mrr_group")
    movement_amount = scope.pick("m.movement_amount", "m.movement_amount_group")
    # fct_mrr_movements holds the moving customer-months of fct_mrr, customer attached.
    sql = f"""
        select m.tenant_id, m.customer_id, m.customer_name, m.segment, m.month_start,
               {movement_type} as movement_type, {previous_mrr} as previous_mrr, {mrr} as mrr,
               {movement_amount} as movement_amount
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
    sql = f"""
        select c.cohort_month, c.months_since_start,
               cast(sum(c.retained_customers) as bigint) as retained_customers,
               cast(sum(c.cohort_customers) as bigint) as cohort_customers,
               sum(c.retained_customers) / nullif(sum(c.cohort_customers), 0) as retention_rate
        from {{kpi_cohort_retention}} as c
        where c.cohort_month between $start and $end and c.month_start <= $end
          and {segment_match('c')}
        group by c.cohort_month, c.months_since_start
        order by c.cohort_month, c.months_since_start
    """
    return run(access, viewer, scope, sql, month_params(filters))


def arr_by(access: DataAccess, viewer: Viewer, filters: Filters,
           dimension: ArrDimension) -> pd.DataFrame:
    """ARR (12 x MRR) at the period's last month by segment, region, partner or product."""
    if dimension not in ARR_DIMENSIONS:
        raise ValueError(f"ARR can be shown by {', '.join(ARR_DIMENSIONS)}, not {dimension!r}")
    scope = resolve_scope(access, viewer, filters)
    params = month_params(filters)
    params["dimension"] = dimension
    arr = scope.pick("a.arr", "a.arr_group")
    sql = f"""
        select a.label, sum({arr}) as arr, cast(sum(a.customers) as bigint) as customers
        from {{kpi_arr_by_dimension}} as a
        where a.dimension = $dimension and a.month_start = $end and {segment_match('a')}
        group by a.label
        having sum({arr}) <> 0
        order by arr desc
    """
    frame = run(access, viewer, scope, sql, params)
    frame["currency"] = scope.currency
    return frame
