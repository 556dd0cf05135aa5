{#-
    Stock on hand of every item at every month end equals the sum of all its signed stock
    movements booked up to that date, recomputed straight from staging; and the opening
    quantity of a month equals the closing quantity of the month before.
-#}
with

positions as (

    select * from {{ ref('fct_stock_positions') }}

),

movements as (

    select
        inventory_item_key,
        cast(moved_at as date) as moved_date,
        quantity
    from {{ ref('stg_procurement__stock_movements') }}

),

recomputed as (

    select
        positions.inventory_item_key,
        positions.month_start,
        coalesce(sum(movements.quantity), 0) as expected_closing_quantity
    from positions
    left join movements
        on positions.inventory_item_key = movements.inventory_item_key
            and positions.position_date >= movements.moved_date
    group by 1, 2

),

with_previous as (

    select
        inventory_item_key,
        month_start,
        opening_quantity,
        closing_quantity,
        lag(closing_quantity)
            over (partition by inventory_item_key order by month_start)
            as previous_closing_quantity
    from positions

)

select
    with_previous.inventory_item_key,
    with_previous.month_start,
    with_previous.closing_quantity,
    recomputed.expected_closing_quantity,
    with_previous.opening_quantity,
    with_previous.previous_closing_quantity
from with_previous
inner join recomputed
    on with_previous.inventory_item_key = recomputed.inventory_item_key
        and with_previous.month_start = recomputed.month_start
where with_previous.closing_quantity <> recomputed.expected_closing_quantity
    or with_previous.opening_quantity <> coalesce(with_previous.previous_closing_quantity, 0)
