{#-
    One row per stock movement booked on or before the as-of date, signed (positive in,
    negative out), with the item and its value at the item's standard unit cost.
    _batch_ids: the load batches of the movement and of the item (its unit cost).
-#}
with

movements as (

    select * from {{ ref('stg_procurement__stock_movements') }}
    where moved_at < cast({{ dbt.dateadd('day', 1, as_of_date()) }} as {{ dbt.type_timestamp() }})

),

stg_procurement__inventory_items as (

    select * from {{ ref('stg_procurement__inventory_items') }}

),

items as (

    select
        inventory_item_key,
        item_name,
        unit_cost,
        currency,
        _batch_id
    from stg_procurement__inventory_items

),

final as (

    select
        movements.stock_movement_key,
        movements.inventory_item_key,
        movements.tenant_id,
        movements.movement_id,
        movements.item_id,
        items.item_name,
        movements.movement_type,
        movements.reference_id,
        movements.warehouse_code,
        movements.moved_at,
        cast(movements.moved_at as date) as moved_date,
        cast({{ dbt.date_trunc('month', 'movements.moved_at') }} as date) as moved_month,
        movements.quantity,
        case when movements.quantity > 0 then movements.quantity else 0 end as quantity_in,
        case when movements.quantity < 0 then -movements.quantity else 0 end as quantity_out,
        items.unit_cost,
        items.currency,
        cast(round(movements.quantity * items.unit_cost, 2) as decimal(18, 2)) as movement_value,
        {{ batch_ids_concat(['movements._batch_id', 'items._batch_id']) }} as _batch_ids
    from movements
    left join items
        on movements.inventory_item_key = items.inventory_item_key

)

select * from final
