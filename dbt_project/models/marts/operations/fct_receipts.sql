{#-
    One row per goods receipt (on or before the as-of date) with its purchase order: days
    since the order, the cumulative accepted quantity and whether this receipt completed it.
-#}
with

receipts as (

    select * from {{ ref('stg_procurement__receipts') }}
    where received_date <= {{ as_of_date() }}

),

stg_procurement__purchase_orders as (

    select * from {{ ref('stg_procurement__purchase_orders') }}

),

purchase_orders as (

    select
        purchase_order_key,
        vendor_id,
        project_id,
        quantity,
        ordered_date,
        expected_date
    from stg_procurement__purchase_orders

),

joined as (

    select
        receipts.receipt_key,
        receipts.purchase_order_key,
        receipts.inventory_item_key,
        receipts.tenant_id,
        receipts.receipt_id,
        receipts.po_id,
        receipts.item_id,
        purchase_orders.vendor_id,
        purchase_orders.project_id,
        receipts.received_date,
        cast({{ dbt.date_trunc('month', 'receipts.received_date') }} as date) as received_month,
        purchase_orders.ordered_date,
        purchase_orders.expected_date,
        receipts.quantity_received,
        receipts.quantity_rejected,
        purchase_orders.quantity as quantity_ordered,
        sum(receipts.quantity_received) over (
            partition by receipts.tenant_id, receipts.po_id
            order by receipts.received_date, receipts.receipt_id
            rows between unbounded preceding and current row
        ) as cumulative_quantity_received,
        {{ dbt.datediff('purchase_orders.ordered_date', 'receipts.received_date', 'day') }}
            as days_since_order,
        coalesce(receipts.received_date > purchase_orders.expected_date, false)
            as is_late
    from receipts
    inner join purchase_orders
        on receipts.purchase_order_key = purchase_orders.purchase_order_key

),

final as (

    select
        *,
        coalesce(
            cumulative_quantity_received >= quantity_ordered
            and cumulative_quantity_received - quantity_received < quantity_ordered,
            false
        ) as completes_order
    from joined

)

select * from final
