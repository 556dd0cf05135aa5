with

source as (

    select * from {{ source('raw', 'invoice_lines') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'invoice_line_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'invoice_line_id']) }} as invoice_line_key,
        {{ generate_foreign_key(['tenant_id', 'invoice_id']) }} as invoice_key,
        {{ generate_foreign_key(['tenant_id', 'line_item_id']) }} as subscription_line_item_key,
        {{ generate_foreign_key(['tenant_id', 'product_id']) }} as product_key,

        ---------- ids
        tenant_id,
        invoice_line_id,
        invoice_id,
        line_item_id,
        product_id,

        ---------- strings
        line_type,
        description,

        ---------- numerics
        quantity,
        unit_price,
        amount,

        ---------- dates
        period_start,
        period_end,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
