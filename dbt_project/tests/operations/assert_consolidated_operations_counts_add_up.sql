-- Consolidated operations KPIs add up to the per-tenant marts (counts and day totals).
with

approvals as (
    select
        'approvals' as kpi,
        submitted_month as month_start,
        sum(requests) as per_tenant,
        0 as consolidated
    from {{ ref('kpi_approvals') }}
    group by submitted_month
    union all
    select
        'approvals' as kpi,
        submitted_month as month_start,
        0 as per_tenant,
        sum(requests) as consolidated
    from {{ ref('kpi_approvals_consolidated') }}
    group by submitted_month
),

implementation as (
    select
        'implementation' as kpi,
        month_start,
        sum(total_cycle_time_days + milestones_slipping) as per_tenant,
        0 as consolidated
    from {{ ref('kpi_implementation') }}
    group by month_start
    union all
    select
        'implementation' as kpi,
        month_start,
        0 as per_tenant,
        sum(total_cycle_time_days + milestones_slipping) as consolidated
    from {{ ref('kpi_implementation_consolidated') }}
    group by month_start
),

procurement as (
    select
        'procurement' as kpi,
        ordered_month as month_start,
        sum(purchase_orders) + coalesce(sum(total_lead_time_days), 0) as per_tenant,
        0 as consolidated
    from {{ ref('kpi_procurement_lead_time') }}
    group by ordered_month
    union all
    select
        'procurement' as kpi,
        ordered_month as month_start,
        0 as per_tenant,
        sum(purchase_orders) + coalesce(sum(total_lead_time_days), 0) as consolidated
    from {{ ref('kpi_procurement_lead_time_consolidated') }}
    group by ordered_month
),

stock as (
    select
        'stock' as kpi,
        month_start,
        sum(case when is_stockout then 1 else 0 end) as per_tenant,
        0 as consolidated
    from {{ ref('kpi_stock') }}
    group by month_start
    union all
    select
        'stock' as kpi,
        month_start,
        0 as per_tenant,
        sum(items_in_stockout) as consolidated
    from {{ ref('kpi_stock_consolidated') }}
    group by month_start
),

compared as (
    select
        kpi,
        month_start,
        sum(per_tenant) as per_tenant,
        sum(consolidated) as consolidated
    from (
        select * from approvals
        union all
        select * from implementation
        union all
        select * from procurement
        union all
        select * from stock
    ) as both_sides
    group by kpi, month_start
)

select * from compared
where coalesce(per_tenant, 0) <> coalesce(consolidated, 0)
