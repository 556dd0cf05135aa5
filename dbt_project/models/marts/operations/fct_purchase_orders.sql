{#-
    One row per purchase order (ordered on or before the as-of date) with vendor, item, its
    receipts rolled up (int_purchase_orders_receipts_rolled_up) and the order value in the
    order currency, the tenant's reporting currency and the group currency at the order
    month's rate. _batch_ids: the load batches of the order and of its receipts.
-#}
with

purchase_orders as (

    select * from {{ ref('stg_procurement__purchase_orders') }}

),

receipts as (

    select * from {{ ref('int_purchase_orders_receipts_rolled_up') }}

),

stg_procurement__vendors as (

    select * from {{ ref('stg_procurement__vendors') }}

),

stg_procurement__inventory_items as (

    select * from {{ ref('stg_procurement__inventory_items') }}

),

stg_finance__tenants as (

    select * from {{ ref('stg_finance__tenants') }}

),

vendors as (

    select
        vendor_key,
        vendor_name,
        category
    from stg_procurement__vendors

),

items as (

    select
        inventory_item_key,
        item_name,
        product_id
    from stg_procurement__inventory_items

),

tenants as (

    select
        tenant_id,
        reporting_currency
    from stg_finance__tenants

),

joined as (

    select
        purchase_orders.purchase_order_key,
        purchase_orders.vendor_key,
        purchase_orders.inventory_item_key,
        purchase_orders.implementation_project_key,
        purchase_orders.tenant_id,
        purchase_orders.po_id,
        purchase_orders.vendor_id,
        vendors.vendor_name,
        vendors.category as vendor_category,
        purchase_orders.item_id,
        items.item_name,
        coalesce(items.product_id is not null, false) as is_device,
        purchase_orders.project_id,
        coalesce(purchase_orders.project_id is not null, false)
            as is_project_order,
        purchase_orders.status,
        receipts.receipt_status,
        purchase_orders.ordered_date,
        cast({{ dbt.date_trunc('month', 'purchase_orders.ordered_date') }} as date)
            as ordered_month,
        purchase_orders.expected_date,
        receipts.first_received_date,
        receipts.last_received_date,
        receipts.fully_received_date,
        receipts.receipt_count,
        purchase_orders.quantity as quantity_ordered,
        receipts.quantity_received,
        receipts.quantity_rejected,
        receipts.quantity_outstanding,
        receipts.days_to_first_receipt,
        receipts.lead_time_days,
        receipts.delivery_delay_days,
        receipts.is_late,
        purchase_orders.unit_cost,
        purchase_orders.currency,
        tenants.reporting_currency,
        cast(purchase_orders.quantity * purchase_orders.unit_cost as decimal(18, 2))
            as order_amount,
        receipts._batch_ids
    from purchase_orders
    inner join receipts
        on purchase_orders.tenant_id = receipts.tenant_id
            and purchase_orders.po_id = receipts.po_id
    left join vendors
        on purchase_orders.vendor_key = vendors.vendor_key
    left join items
        on purchase_orders.inventory_item_key = items.inventory_item_key
    left join tenants
        on purchase_orders.tenant_id = tenants.tenant_id

),

final as (

    select
        joined.*,
        {{ fx_convert_amount('joined.order_amount', 'to_reporting.rate') }}
            as order_amount_reporting,
        {{ fx_convert_amount('joined.order_amount', 'to_group.rate') }} as order_amount_group
    from joined
    {{ fx_join_rate(
        'to_reporting', 'joined.tenant_id', 'joined.ordered_month', 'joined.currency',
        'joined.reporting_currency', cap_at_as_of_month=true
    ) }}
    {{ fx_join_rate(
        'to_group', 'joined.tenant_id', 'joined.ordered_month', 'joined.currency',
        "'" ~ var('group_currency') ~ "'", cap_at_as_of_month=true
    ) }}

)

select * from final
