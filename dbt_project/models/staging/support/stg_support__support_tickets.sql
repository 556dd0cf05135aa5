with

source as (

    select * from {{ source('raw', 'support_tickets') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'ticket_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'ticket_id']) }} as support_ticket_key,
        {{ generate_foreign_key(['tenant_id', 'customer_id']) }} as customer_key,
        {{ generate_foreign_key(['tenant_id', 'contract_id']) }} as contract_key,

        ---------- ids
        tenant_id,
        ticket_id,
        customer_id,
        contract_id,

        ---------- strings
        priority,
        category,
        status,

        ---------- numerics
        csat_score,

        ---------- booleans
        is_escalated,

        ---------- timestamps
        opened_at,
        first_response_at,
        resolved_at,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
