with

source as (

    select * from {{ source('raw', 'vendors') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'vendor_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'vendor_id']) }} as vendor_key,

        ---------- ids
        tenant_id,
        vendor_id,

        ---------- strings
        vendor_name,
        category,
        country_code,
        currency,

        ---------- numerics
        payment_terms_days,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
