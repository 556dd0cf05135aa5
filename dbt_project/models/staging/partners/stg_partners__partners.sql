with

source as (

    select * from {{ source('raw', 'partners') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'partner_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'partner_id']) }} as partner_key,

        ---------- ids
        tenant_id,
        partner_id,

        ---------- strings
        partner_name,
        partner_type,
        currency,
        country_code,

        ---------- numerics
        commission_pct,

        ---------- booleans
        is_active,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
