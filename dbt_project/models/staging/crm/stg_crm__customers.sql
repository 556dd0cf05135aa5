with

source as (

    select * from {{ source('raw', 'customers') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'customer_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'customer_id']) }} as customer_key,
        {{ generate_foreign_key(['tenant_id', 'partner_id']) }} as partner_key,

        ---------- ids
        tenant_id,
        customer_id,
        partner_id,

        ---------- strings
        customer_name,
        segment,
        region,
        industry,
        country_code,
        billing_currency,

        ---------- timestamps
        created_at,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
