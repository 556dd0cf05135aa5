with

source as (

    select * from {{ source('raw', 'opportunities') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'opportunity_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'opportunity_id']) }} as opportunity_key,
        {{ generate_foreign_key(['tenant_id', 'customer_id']) }} as customer_key,
        {{ generate_foreign_key(['tenant_id', 'partner_id']) }} as partner_key,

        ---------- ids
        tenant_id,
        opportunity_id,
        customer_id,
        partner_id,

        ---------- strings
        opportunity_type,
        stage,
        currency,
        owner,

        ---------- numerics
        amount,
        probability_pct,

        ---------- dates
        created_date,
        close_date,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
