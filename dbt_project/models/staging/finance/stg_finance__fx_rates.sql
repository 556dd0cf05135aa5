with

source as (

    select * from {{ source('raw', 'fx_rates') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'rate_month', 'from_currency', 'to_currency']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'rate_month', 'from_currency', 'to_currency']) }}
            as fx_rate_key,

        ---------- ids
        tenant_id,
        rate_month,
        from_currency,
        to_currency,

        ---------- numerics
        rate,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
