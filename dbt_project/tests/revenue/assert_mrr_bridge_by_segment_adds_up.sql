{#-
    kpi_mrr_bridge_by_segment adds up: per tenant and month its segment rows sum to
    kpi_mrr_bridge (reporting currency), and per month every row's group-currency columns sum
    to kpi_mrr_bridge_consolidated. Returns the months that differ.
-#}
{%- set columns = [
    'opening_mrr', 'new_mrr', 'expansion_mrr', 'reactivation_mrr', 'contraction_mrr',
    'churned_mrr', 'closing_mrr', 'opening_customers', 'new_customers', 'expansion_customers',
    'reactivation_customers', 'contraction_customers', 'churned_customers', 'closing_customers',
] -%}
with

kpi_mrr_bridge_by_segment as (

    select * from {{ ref('kpi_mrr_bridge_by_segment') }}

),

kpi_mrr_bridge as (

    select * from {{ ref('kpi_mrr_bridge') }}

),

kpi_mrr_bridge_consolidated as (

    select * from {{ ref('kpi_mrr_bridge_consolidated') }}

),

tenant_sums as (

    select
        tenant_id,
        month_start,
    {% for column in columns -%}
        sum({{ column }}) as {{ column }}{{ ',' if not loop.last }}
    {% endfor %}
    from kpi_mrr_bridge_by_segment
    group by tenant_id, month_start

),

group_sums as (

    select
        month_start,
    {% for column in columns -%}
        sum({{ column }}_group) as {{ column }}{{ ',' if not loop.last }}
    {% endfor %}
    from kpi_mrr_bridge_by_segment
    group by month_start

),

tenant_differences as (

    select
        'tenant' as grain,
        coalesce(kpi_mrr_bridge.tenant_id, tenant_sums.tenant_id) as tenant_id,
        coalesce(kpi_mrr_bridge.month_start, tenant_sums.month_start) as month_start
    from kpi_mrr_bridge
    full outer join tenant_sums
        on kpi_mrr_bridge.tenant_id = tenant_sums.tenant_id
            and kpi_mrr_bridge.month_start = tenant_sums.month_start
    where {% for column in columns -%}
            coalesce(kpi_mrr_bridge.{{ column }}, -1) <> coalesce(tenant_sums.{{ column }}, -1)
            {{- ' or' if not loop.last }}
    {% endfor %}

),

group_differences as (

    select
        'consolidated' as grain,
        'all' as tenant_id,
        coalesce(kpi_mrr_bridge_consolidated.month_start, group_sums.month_start) as month_start
    from kpi_mrr_bridge_consolidated
    full outer join group_sums
        on kpi_mrr_bridge_consolidated.month_start = group_sums.month_start
    where {% for column in columns -%}
            coalesce(kpi_mrr_bridge_consolidated.{{ column }}, -1)
            <> coalesce(group_sums.{{ column }}, -1)
            {{- ' or' if not loop.last }}
    {% endfor %}

),

final as (

    select * from tenant_differences
    union all
    select * from group_differences

)

select * from final
