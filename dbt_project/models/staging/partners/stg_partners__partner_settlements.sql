with

source as (

    select * from {{ source('raw', 'partner_settlements') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'settlement_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'settlement_id']) }} as partner_settlement_key,
        {{ generate_foreign_key(['tenant_id', 'partner_id']) }} as partner_key,

        ---------- ids
        tenant_id,
        settlement_id,
        partner_id,

        ---------- strings
        currency,
        status,

        ---------- numerics
        reported_revenue,
        commission_pct,
        commission_amount,

        ---------- dates
        period_month,
        settled_date,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
