with

source as (

    select * from {{ source('raw', 'tenants') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id']) }} as tenant_key,

        ---------- ids
        tenant_id,

        ---------- strings
        tenant_name,
        tenant_type,
        reporting_currency,
        country_code,

        ---------- numerics
        fiscal_year_start_month,

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
