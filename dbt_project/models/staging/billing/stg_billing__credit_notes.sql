with

source as (

    select * from {{ source('raw', 'credit_notes') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'credit_note_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'credit_note_id']) }} as credit_note_key,
        {{ generate_foreign_key(['tenant_id', 'invoice_id']) }} as invoice_key,
        {{ generate_foreign_key(['tenant_id', 'customer_id']) }} as customer_key,

        ---------- ids
        tenant_id,
        credit_note_id,
        invoice_id,
        customer_id,

        ---------- strings
        currency,
        reason,
        status,

        ---------- numerics
        amount,

        ---------- dates
        issued_date,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
