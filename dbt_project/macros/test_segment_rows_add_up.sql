{#-
    Generic test: a by-segment KPI mart adds up to its parents. Per tenant and month, its
    segment rows sum to the tenant mart's components (reporting currency); per month, every
    row's group-currency components (`<component>_group`) sum to the consolidated mart.
    Returns the tenant-months and months that differ.
-#}
{% test segment_rows_add_up(model, tenant_model, consolidated_model, components) %}

with

by_segment as (

    select * from {{ model }}

),

per_tenant as (

    select * from {{ tenant_model }}

),

consolidated as (

    select * from {{ consolidated_model }}

),

tenant_sums as (

    select
        tenant_id,
        month_start,
    {% for component in components -%}
        sum({{ component }}) as {{ component }}{{ ',' if not loop.last }}
    {% endfor %}
    from by_segment
    group by tenant_id, month_start

),

group_sums as (

    select
        month_start,
    {% for component in components -%}
        sum({{ component }}_group) as {{ component }}{{ ',' if not loop.last }}
    {% endfor %}
    from by_segment
    group by month_start

),

tenant_differences as (

    select
        'tenant' as grain,
        coalesce(per_tenant.tenant_id, tenant_sums.tenant_id) as tenant_id,
        coalesce(per_tenant.month_start, tenant_sums.month_start) as month_start
    from per_tenant
    full outer join tenant_sums
        on per_tenant.tenant_id = tenant_sums.tenant_id
            and per_tenant.month_start = tenant_sums.month_start
    where {% for component in components -%}
            coalesce(per_tenant.{{ component }}, -1) <> coalesce(tenant_sums.{{ component }}, -1)
            {{- ' or' if not loop.last }}
    {% endfor %}

),

group_differences as (

    select
        'consolidated' as grain,
        'all' as tenant_id,
        coalesce(consolidated.month_start, group_sums.month_start) as month_start
    from consolidated
    full outer join group_sums
        on consolidated.month_start = group_sums.month_start
    where {% for component in components -%}
            coalesce(consolidated.{{ component }}, -1) <> coalesce(group_sums.{{ component }}, -1)
            {{- ' or' if not loop.last }}
    {% endfor %}

)

select * from tenant_differences
union all
select * from group_differences

{% endtest %}
