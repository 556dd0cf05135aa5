with

source as (

    select * from {{ source('raw', 'stock_movements') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'movement_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'movement_id']) }} as stock_movement_key,
        {{ generate_foreign_key(['tenant_id', 'item_id']) }} as inventory_item_key,

        ---------- ids
        tenant_id,
        movement_id,
        item_id,
        reference_id,

        ---------- strings
        movement_type,
        warehouse_code,

        ---------- numerics
        quantity,

        ---------- timestamps
        moved_at,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
