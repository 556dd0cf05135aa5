{#-
    Partner settlement accuracy of all tenants per period month, in the group currency;
    tenant_id is 'ALL' (every tenant consolidated).
-#}
with

settlements as (

    select * from {{ ref('kpi_partner_settlements') }}

),

final as (

    select
        'ALL' as tenant_id,
        period_month,
        '{{ var("group_currency") }}' as group_currency,
        count(*) as settlements,
        sum(case when is_accurate then 0 else 1 end) as inaccurate_settlements,
        sum(case when accuracy_status = 'overstated' then 1 else 0 end) as overstated_settlements,
        sum(case when accuracy_status = 'understated' then 1 else 0 end) as understated_settlements,
        sum(expected_commission_group) as expected_commission_group,
        sum(settled_commission_group) as settled_commission_group,
        sum(commission_difference_group) as commission_difference_group,
        sum(case when is_accurate then 0 else commission_difference_group end)
            as inaccurate_commission_difference_group,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from settlements
    group by 1, 2, 3

)

select * from final
