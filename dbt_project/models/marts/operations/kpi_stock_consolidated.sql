{#-
    Stock health of all tenants together per month end: items stocked, items at or below
    their reorder point, items in stockout (committed but undeployed units above stock on
    hand) and the units short; tenant_id is 'ALL'. Units of different items are not added
    into one stock figure.
-#}
with

item_months as (

    select * from {{ ref('kpi_stock') }}

),

final as (

    select
        'ALL' as tenant_id,
        month_start,
        count(distinct tenant_id) as tenants,
        count(*) as items,
        sum(case when is_at_or_below_reorder_point then 1 else 0 end)
            as items_at_or_below_reorder_point,
        sum(case when is_stockout then 1 else 0 end) as items_in_stockout,
        sum(committed_not_deployed_quantity) as committed_not_deployed_quantity,
        sum(shortfall_quantity) as shortfall_quantity,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from item_months
    group by month_start

)

select * from final
