with

source as (

    select * from {{ source('raw', 'purchase_orders') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'po_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'po_id']) }} as purchase_order_key,
        {{ generate_foreign_key(['tenant_id', 'vendor_id']) }} as vendor_key,
        {{ generate_foreign_key(['tenant_id', 'item_id']) }} as inventory_item_key,
        {{ generate_foreign_key(['tenant_id', 'project_id']) }} as implementation_project_key,

        ---------- ids
        tenant_id,
        po_id,
        vendor_id,
        item_id,
        project_id,

        ---------- strings
        currency,
        status,

        ---------- numerics
        quantity,
        unit_cost,

        ---------- dates
        ordered_date,
        expected_date,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
