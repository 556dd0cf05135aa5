with

source as (

    select * from {{ source('raw', 'receipts') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'receipt_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'receipt_id']) }} as receipt_key,
        {{ generate_foreign_key(['tenant_id', 'po_id']) }} as purchase_order_key,
        {{ generate_foreign_key(['tenant_id', 'item_id']) }} as inventory_item_key,

        ---------- ids
        tenant_id,
        receipt_id,
        po_id,
        item_id,

        ---------- numerics
        quantity_received,
        quantity_rejected,

        ---------- dates
        received_date,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
