{#-
    Margin of all tenants per customer segment and month, in the group currency;
    tenant_id is 'ALL' (every tenant consolidated).
-#}
with

margin as (

    select * from {{ ref('kpi_margin') }}

),

final as (

    select
        'ALL' as tenant_id,
        margin.segment,
        margin.month_start,
        '{{ var("group_currency") }}' as group_currency,
        count(distinct margin.tenant_id) as tenants,
        count(*) as customers,
        sum(net_revenue_group) as net_revenue_group,
        sum(device_cost_group) as device_cost_group,
        sum(partner_commission_group) as partner_commission_group,
        sum(pass_through_cost_group) as pass_through_cost_group,
        sum(direct_cost_group) as direct_cost_group,
        sum(margin_group) as margin_group,
        case when sum(net_revenue_group) = 0 then null
            else cast(sum(margin_group) as {{ operations_type_double() }}) / sum(net_revenue_group)
        end as margin_pct,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from margin
    group by 1, 2, 3, 4

)

select * from final
