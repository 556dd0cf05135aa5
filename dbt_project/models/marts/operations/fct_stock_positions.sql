{#-
    Stock on hand per item at every month end, from the item's first movement (or first
    committed deployment, so a stockout before the first receipt shows) to the as-of
    month (the as-of date for the current month). Closing quantity = cumulative sum of every
    signed movement up to the month end; opening = closing - the month's net change. Valued
    at the item's standard unit cost in the item currency, the tenant's reporting currency
    and the group currency at the month's rate.
    _batch_ids: the load batches of the item (reorder point, unit cost) and of every movement
    up to the month end, as the closing quantity sums them all.
-#}
with

movements as (

    select * from {{ ref('fct_stock_movements') }}

),

stg_procurement__inventory_items as (

    select * from {{ ref('stg_procurement__inventory_items') }}

),

stg_finance__tenants as (

    select * from {{ ref('stg_finance__tenants') }}

),

dim_date as (

    select * from {{ ref('dim_date') }}

),

stg_procurement__device_deployments as (

    select * from {{ ref('stg_procurement__device_deployments') }}

),

items as (

    select
        inventory_item_key,
        tenant_id,
        item_id,
        item_name,
        unit_cost,
        currency,
        reorder_point,
        _batch_id
    from stg_procurement__inventory_items

),

tenants as (

    select
        tenant_id,
        reporting_currency
    from stg_finance__tenants

),

months as (

    select distinct
        month_start,
        least(
            cast({{ dbt.last_day('month_start', 'month') }} as date), {{ as_of_date() }}
        ) as position_date
    from dim_date
    where month_start <= {{ as_of_date() }}

),

item_months as (

    select
        first_activity.inventory_item_key,
        months.month_start,
        months.position_date
    from (
        select
            inventory_item_key,
            min(activity_month) as first_month
        from (
            select
                inventory_item_key,
                moved_month as activity_month
            from movements
            union all
            select
                inventory_item_key,
                cast({{ dbt.date_trunc('month', 'committed_date') }} as date) as activity_month
            from stg_procurement__device_deployments
            where committed_date <= {{ as_of_date() }}
        ) as activity
        group by inventory_item_key
    ) as first_activity
    inner join months
        on first_activity.first_month <= months.month_start

),

monthly_movements as (

    select
        inventory_item_key,
        moved_month as month_start,
        sum(quantity) as net_change_quantity,
        sum(quantity_in) as quantity_in,
        sum(quantity_out) as quantity_out,
        sum(case when movement_type = 'receipt' then quantity else 0 end) as quantity_received,
        sum(case when movement_type = 'deployment' then -quantity else 0 end) as quantity_deployed,
        sum(case when movement_type = 'return' then quantity else 0 end) as quantity_returned,
        sum(case when movement_type = 'adjustment' then quantity else 0 end) as quantity_adjusted,
        sum(case when movement_type = 'write_off' then -quantity else 0 end)
            as quantity_written_off,
        count(*) as movement_count,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from movements
    group by inventory_item_key, moved_month

),

positions as (

    select
        item_months.inventory_item_key,
        item_months.month_start,
        item_months.position_date,
        coalesce(monthly_movements.net_change_quantity, 0) as net_change_quantity,
        coalesce(monthly_movements.quantity_in, 0) as quantity_in,
        coalesce(monthly_movements.quantity_out, 0) as quantity_out,
        coalesce(monthly_movements.quantity_received, 0) as quantity_received,
        coalesce(monthly_movements.quantity_deployed, 0) as quantity_deployed,
        coalesce(monthly_movements.quantity_returned, 0) as quantity_returned,
        coalesce(monthly_movements.quantity_adjusted, 0) as quantity_adjusted,
        coalesce(monthly_movements.quantity_written_off, 0) as quantity_written_off,
        coalesce(monthly_movements.movement_count, 0) as movement_count,
        sum(coalesce(monthly_movements.net_change_quantity, 0)) over (
            partition by item_months.inventory_item_key
            order by item_months.month_start
            rows between unbounded preceding and current row
        ) as closing_quantity,
        {{ batch_ids_agg(
            'monthly_movements._batch_ids',
            over='partition by item_months.inventory_item_key order by item_months.month_start '
                ~ 'rows between unbounded preceding and current row'
        ) }} as _batch_ids
    from item_months
    left join monthly_movements
        on item_months.inventory_item_key = monthly_movements.inventory_item_key
            and item_months.month_start = monthly_movements.month_start

),

joined as (

    select
        items.tenant_id,
        items.item_id,
        positions.inventory_item_key,
        items.item_name,
        positions.month_start,
        positions.position_date,
        positions.closing_quantity - positions.net_change_quantity as opening_quantity,
        positions.quantity_in,
        positions.quantity_out,
        positions.net_change_quantity,
        positions.closing_quantity,
        positions.quantity_received,
        positions.quantity_deployed,
        positions.quantity_returned,
        positions.quantity_adjusted,
        positions.quantity_written_off,
        positions.movement_count,
        items.reorder_point,
        coalesce(positions.closing_quantity <= items.reorder_point, false)
            as is_at_or_below_reorder_point,
        items.unit_cost,
        items.currency,
        tenants.reporting_currency,
        cast(round(positions.closing_quantity * items.unit_cost, 2) as decimal(18, 2))
            as stock_value,
        {{ batch_ids_concat(['positions._batch_ids', 'items._batch_id']) }} as _batch_ids
    from positions
    inner join items
        on positions.inventory_item_key = items.inventory_item_key
    left join tenants
        on items.tenant_id = tenants.tenant_id

),

final as (

    select
        joined.*,
        {{ fx_convert_amount('joined.stock_value', 'to_reporting.rate') }} as stock_value_reporting,
        {{ fx_convert_amount('joined.stock_value', 'to_group.rate') }} as stock_value_group
    from joined
    {{ fx_join_rate(
        'to_reporting', 'joined.tenant_id', 'joined.month_start', 'joined.currency',
        'joined.reporting_currency', cap_at_as_of_month=true
    ) }}
    {{ fx_join_rate(
        'to_group', 'joined.tenant_id', 'joined.month_start', 'joined.currency',
        "'" ~ var('group_currency') ~ "'", cap_at_as_of_month=true
    ) }}

)

select * from final
