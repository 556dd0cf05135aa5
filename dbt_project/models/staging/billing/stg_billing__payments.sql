with

source as (

    select * from {{ source('raw', 'payments') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'payment_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'payment_id']) }} as payment_key,
        {{ generate_foreign_key(['tenant_id', 'invoice_id']) }} as invoice_key,
        {{ generate_foreign_key(['tenant_id', 'customer_id']) }} as customer_key,

        ---------- ids
        tenant_id,
        payment_id,
        invoice_id,
        customer_id,

        ---------- strings
        currency,
        method,
        status,

        ---------- numerics
        amount,

        ---------- dates
        received_date,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
