with

source as (

    select * from {{ source('raw', 'inventory_items') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'item_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'item_id']) }} as inventory_item_key,
        {{ generate_foreign_key(['tenant_id', 'product_id']) }} as product_key,
        {{ generate_foreign_key(['tenant_id', 'vendor_id']) }} as vendor_key,

        ---------- ids
        tenant_id,
        item_id,
        product_id,
        vendor_id,

        ---------- strings
        sku,
        item_name,
        currency,

        ---------- numerics
        unit_cost,
        reorder_point,

        ---------- booleans
        is_serialized,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
