with

source as (

    select * from {{ source('raw', 'price_book_entries') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'price_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'price_id']) }} as price_book_entry_key,
        {{ generate_foreign_key(['tenant_id', 'product_id']) }} as product_key,

        ---------- ids
        tenant_id,
        price_id,
        product_id,

        ---------- strings
        currency,
        billing_period,

        ---------- numerics
        unit_price,

        ---------- dates
        valid_from,
        valid_to,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
