{#-
    One row per purchase order with its receipts (on or before the as-of date) rolled up.
    Partial deliveries: the order is fully received on the first receipt date at which the
    cumulative accepted quantity reaches the ordered quantity (rejected units do not count);
    procurement lead time = ordered -> fully received (days), null while still outstanding.
    _batch_ids: the load batches of the order and of its receipts.
-#}
with

purchase_orders as (

    select * from {{ ref('stg_procurement__purchase_orders') }}

),

stg_procurement__receipts as (

    select * from {{ ref('stg_procurement__receipts') }}

),

receipts as (

    select
        tenant_id,
        po_id,
        receipt_id,
        received_date,
        quantity_received,
        quantity_rejected,
        _batch_id,
        sum(quantity_received) over (
            partition by tenant_id, po_id
            order by received_date, receipt_id
            rows between unbounded preceding and current row
        ) as cumulative_quantity_received
    from stg_procurement__receipts
    where received_date <= {{ as_of_date() }}

),

rolled_up as (

    select
        receipts.tenant_id,
        receipts.po_id,
        count(*) as receipt_count,
        min(receipts.received_date) as first_received_date,
        max(receipts.received_date) as last_received_date,
        sum(receipts.quantity_received) as quantity_received,
        sum(receipts.quantity_rejected) as quantity_rejected,
        min(case when receipts.cumulative_quantity_received >= purchase_orders.quantity
                then receipts.received_date
        end) as fully_received_date,
        {{ batch_ids_agg('receipts._batch_id') }} as _batch_ids
    from receipts
    inner join purchase_orders
        on receipts.tenant_id = purchase_orders.tenant_id
            and receipts.po_id = purchase_orders.po_id
    group by 1, 2

),

final as (

    select
        purchase_orders.tenant_id,
        purchase_orders.po_id,
        purchase_orders.quantity as quantity_ordered,
        purchase_orders.ordered_date,
        purchase_orders.expected_date,
        coalesce(rolled_up.receipt_count, 0) as receipt_count,
        coalesce(rolled_up.quantity_received, 0) as quantity_received,
        coalesce(rolled_up.quantity_rejected, 0) as quantity_rejected,
        case when purchase_orders.quantity > coalesce(rolled_up.quantity_received, 0)
                then purchase_orders.quantity - coalesce(rolled_up.quantity_received, 0)
            else 0
        end as quantity_outstanding,
        rolled_up.first_received_date,
        rolled_up.last_received_date,
        rolled_up.fully_received_date,
        case
            when rolled_up.fully_received_date is not null then 'received'
            when coalesce(rolled_up.receipt_count, 0) > 0 then 'partially_received'
            else 'open'
        end as receipt_status,
        {{ dbt.datediff('purchase_orders.ordered_date', 'rolled_up.first_received_date', 'day') }}
            as days_to_first_receipt,
        {{ dbt.datediff('purchase_orders.ordered_date', 'rolled_up.fully_received_date', 'day') }}
            as lead_time_days,
        {{ dbt.datediff('purchase_orders.expected_date', 'rolled_up.fully_received_date', 'day') }}
            as delivery_delay_days,
        case
            when rolled_up.fully_received_date is not null
                then rolled_up.fully_received_date > purchase_orders.expected_date
            else purchase_orders.expected_date < {{ as_of_date() }}
        end as is_late,
        {{ batch_ids_concat(['purchase_orders._batch_id', 'rolled_up._batch_ids']) }} as _batch_ids
    from purchase_orders
    left join rolled_up
        on purchase_orders.tenant_id = rolled_up.tenant_id
            and purchase_orders.po_id = rolled_up.po_id
    where purchase_orders.ordered_date <= {{ as_of_date() }}

)

select * from final
