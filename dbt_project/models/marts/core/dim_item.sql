{#-
    One row per stocked inventory item or device, with its usual vendor and the billing
    product it is sold as (empty for internal items).
-#}
with

items as (

    select * from {{ ref('stg_procurement__inventory_items') }}

),

stg_procurement__vendors as (

    select * from {{ ref('stg_procurement__vendors') }}

),

stg_billing__products as (

    select * from {{ ref('stg_billing__products') }}

),

vendors as (

    select
        tenant_id,
        vendor_id,
        vendor_name
    from stg_procurement__vendors

),

products as (

    select
        tenant_id,
        product_id,
        product_name
    from stg_billing__products

),

final as (

    select
        items.inventory_item_key,
        items.product_key,
        items.vendor_key,
        items.tenant_id,
        items.item_id,
        items.sku,
        items.item_name,
        items.product_id,
        products.product_name,
        items.vendor_id,
        vendors.vendor_name,
        items.currency,
        items.unit_cost,
        items.reorder_point,
        items.is_serialized,
        items._batch_id,
        items._loaded_at
    from items
    left join vendors
        on items.tenant_id = vendors.tenant_id
            and items.vendor_id = vendors.vendor_id
    left join products
        on items.tenant_id = products.tenant_id
            and items.product_id = products.product_id

)

select * from final
