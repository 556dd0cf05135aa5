with

source as (

    select * from {{ source('raw', 'invoices') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'invoice_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'invoice_id']) }} as invoice_key,
        {{ generate_foreign_key(['tenant_id', 'customer_id']) }} as customer_key,
        {{ generate_foreign_key(['tenant_id', 'contract_id']) }} as contract_key,

        ---------- ids
        tenant_id,
        invoice_id,
        customer_id,
        contract_id,

        ---------- strings
        invoice_number,
        currency,
        status,

        ---------- numerics
        subtotal,
        tax_amount,
        total_amount,

        ---------- dates
        invoice_date,
        due_date,

        ---------- timestamps
        issued_at,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
