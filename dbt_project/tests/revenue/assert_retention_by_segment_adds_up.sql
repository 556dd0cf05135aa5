{#-
    kpi_retention_by_segment adds up: per tenant and month its segment rows sum to the
    components of kpi_retention (reporting currency), and per month every row's group-currency
    components sum to kpi_retention_consolidated. Returns the months that differ.
-#}
{%- set components = [
    'mrr', 'active_customers', 'opening_customers', 'churned_customers', 'cohort_customers',
    'cohort_retained_customers', 'cohort_mrr_then', 'cohort_mrr_now', 'cohort_mrr_now_capped',
] -%}
with

kpi_retention_by_segment as (

    select * from {{ ref('kpi_retention_by_segment') }}

),

kpi_retention as (

    select * from {{ ref('kpi_retention') }}

),

kpi_retention_consolidated as (

    select * from {{ ref('kpi_retention_consolidated') }}

),

tenant_sums as (

    select
        tenant_id,
        month_start,
    {% for component in components -%}
        sum({{ component }}) as {{ component }}{{ ',' if not loop.last }}
    {% endfor %}
    from kpi_retention_by_segment
    group by tenant_id, month_start

),

group_sums as (

    select
        month_start,
    {% for component in components -%}
        sum({{ component }}_group) as {{ component }}{{ ',' if not loop.last }}
    {% endfor %}
    from kpi_retention_by_segment
    group by month_start

),

tenant_differences as (

    select
        'tenant' as grain,
        coalesce(kpi_retention.tenant_id, tenant_sums.tenant_id) as tenant_id,
        coalesce(kpi_retention.month_start, tenant_sums.month_start) as month_start
    from kpi_retention
    full outer join tenant_sums
        on kpi_retention.tenant_id = tenant_sums.tenant_id
            and kpi_retention.month_start = tenant_sums.month_start
    where {% for component in components -%}
            coalesce(kpi_retention.{{ component }}, -1) <> coalesce(tenant_sums.{{ component }}, -1)
            {{- ' or' if not loop.last }}
    {% endfor %}

),

group_differences as (

    select
        'consolidated' as grain,
        'all' as tenant_id,
        coalesce(kpi_retention_consolidated.month_start, group_sums.month_start) as month_start
    from kpi_retention_consolidated
    full outer join group_sums
        on kpi_retention_consolidated.month_start = group_sums.month_start
    where {% for component in components -%}
            coalesce(kpi_retention_consolidated.{{ component }}, -1)
            <> coalesce(group_sums.{{ component }}, -1)
            {{- ' or' if not loop.last }}
    {% endfor %}

),

final as (

    select * from tenant_differences
    union all
    select * from group_differences

)

select * from final
