with

source as (

    select * from {{ source('raw', 'contracts') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'contract_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'contract_id']) }} as contract_key,
        {{ generate_foreign_key(['tenant_id', 'customer_id']) }} as customer_key,
        {{ generate_foreign_key(['tenant_id', 'opportunity_id']) }} as opportunity_key,
        {{ generate_foreign_key(['tenant_id', 'partner_id']) }} as partner_key,

        ---------- ids
        tenant_id,
        contract_id,
        customer_id,
        opportunity_id,
        partner_id,
        renewed_from_contract_id,

        ---------- strings
        contract_type,
        status,
        billing_frequency,
        currency,

        ---------- numerics
        term_months,
        payment_terms_days,
        total_contract_value,

        ---------- booleans
        auto_renew,

        ---------- dates
        signed_date,
        service_activated_date,
        start_date,
        end_date,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
