with

source as (

    select * from {{ source('raw', 'contract_amendments') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'amendment_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'amendment_id']) }} as contract_amendment_key,
        {{ generate_foreign_key(['tenant_id', 'contract_id']) }} as contract_key,

        ---------- ids
        tenant_id,
        amendment_id,
        contract_id,

        ---------- strings
        amendment_type,
        description,

        ---------- numerics
        mrr_delta,

        ---------- dates
        signed_date,
        effective_date,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
