{#-
    Procurement lead time per tenant, vendor and month the order was placed (cancelled
    orders excluded). Lead time = ordered -> fully received (the receipt at which the
    accepted quantity reaches the ordered quantity), in days, over the orders fully received
    by the as-of date; days to first receipt over orders with any receipt. Late = fully
    received after the promised date, or still outstanding past it.
-#}
with

purchase_orders as (

    select * from {{ ref('fct_purchase_orders') }}
    where status <> 'cancelled'

),

final as (

    select
        tenant_id,
        vendor_id,
        min(vendor_name) as vendor_name,
        min(vendor_category) as vendor_category,
        ordered_month,
        count(*) as purchase_orders,
        sum(case when receipt_status = 'received' then 1 else 0 end) as fully_received_orders,
        sum(case when receipt_status = 'partially_received' then 1 else 0 end)
            as partially_received_orders,
        sum(case when receipt_status = 'open' then 1 else 0 end) as open_orders,
        sum(case when receipt_count > 1 then 1 else 0 end) as orders_with_split_deliveries,
        sum(case when is_late then 1 else 0 end) as late_orders,
        sum(quantity_ordered) as quantity_ordered,
        sum(quantity_received) as quantity_received,
        sum(quantity_rejected) as quantity_rejected,
        sum(lead_time_days) as total_lead_time_days,
        avg(cast(lead_time_days as {{ operations_type_double() }})) as avg_lead_time_days,
        min(lead_time_days) as min_lead_time_days,
        max(lead_time_days) as max_lead_time_days,
        avg(cast(days_to_first_receipt as {{ operations_type_double() }}))
            as avg_days_to_first_receipt,
        avg(cast(delivery_delay_days as {{ operations_type_double() }})) as avg_delivery_delay_days,
        case when sum(case when receipt_status = 'received' then 1 else 0 end) = 0 then null
            else cast(
                    sum(
                        case when receipt_status = 'received' and not is_late then 1 else 0 end
                    ) as {{ operations_type_double() }}
                )
                / sum(case when receipt_status = 'received' then 1 else 0 end)
        end as on_time_rate,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from purchase_orders
    group by tenant_id, vendor_id, ordered_month

)

select * from final
