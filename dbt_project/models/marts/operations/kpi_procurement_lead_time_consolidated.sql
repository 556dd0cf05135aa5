{#-
    Procurement lead time of all tenants together, per vendor category and month the order
    was placed: counts and quantities summed, lead time averaged over fully received orders
    from the day totals, on-time rate over fully received orders; tenant_id is 'ALL'.
-#}
with

vendor_months as (

    select * from {{ ref('kpi_procurement_lead_time') }}

),

totals as (

    select
        vendor_category,
        ordered_month,
        count(distinct tenant_id) as tenants,
        count(distinct {{ dbt.concat(['tenant_id', "'|'", 'vendor_id']) }}) as vendors,
        sum(purchase_orders) as purchase_orders,
        sum(fully_received_orders) as fully_received_orders,
        sum(partially_received_orders) as partially_received_orders,
        sum(open_orders) as open_orders,
        sum(orders_with_split_deliveries) as orders_with_split_deliveries,
        sum(late_orders) as late_orders,
        sum(quantity_ordered) as quantity_ordered,
        sum(quantity_received) as quantity_received,
        sum(quantity_rejected) as quantity_rejected,
        sum(total_lead_time_days) as total_lead_time_days,
        min(min_lead_time_days) as min_lead_time_days,
        max(max_lead_time_days) as max_lead_time_days,
        -- on_time_rate x fully received orders is a whole number of orders per vendor-month
        sum(round(coalesce(on_time_rate, 0) * fully_received_orders)) as on_time_received_orders,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from vendor_months
    group by vendor_category, ordered_month

),

final as (

    select
        'ALL' as tenant_id,
        vendor_category,
        ordered_month,
        tenants,
        vendors,
        purchase_orders,
        fully_received_orders,
        partially_received_orders,
        open_orders,
        orders_with_split_deliveries,
        late_orders,
        quantity_ordered,
        quantity_received,
        quantity_rejected,
        total_lead_time_days,
        case when fully_received_orders > 0
                then cast(total_lead_time_days as {{ operations_type_double() }})
                    / fully_received_orders
        end as avg_lead_time_days,
        min_lead_time_days,
        max_lead_time_days,
        case when fully_received_orders > 0
                then cast(on_time_received_orders as {{ operations_type_double() }})
                    / fully_received_orders
        end as on_time_rate,
        _batch_ids
    from totals

)

select * from final
