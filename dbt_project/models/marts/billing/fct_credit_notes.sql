{#- One row per credit note with the invoice (and contract) it corrects. -#}
with

credit_notes as (

    select * from {{ ref('stg_billing__credit_notes') }}

),

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

final as (

    select
        credit_notes.credit_note_key,
        credit_notes.invoice_key,
        credit_notes.customer_key,
        invoices.contract_key,
        credit_notes.tenant_id,
        credit_notes.credit_note_id,
        credit_notes.invoice_id,
        credit_notes.customer_id,
        invoices.contract_id,
        credit_notes.currency,
        credit_notes.reason,
        credit_notes.status as credit_note_status,
        coalesce(credit_notes.status = 'void', false) as is_void,
        credit_notes.amount,
        credit_notes.issued_date,
        cast({{ dbt.date_trunc('month', 'credit_notes.issued_date') }} as date) as issued_month,
        invoices.invoice_date,
        {{ dbt.datediff('invoices.invoice_date', 'credit_notes.issued_date', 'day') }}
            as days_after_invoice
    from credit_notes
    left join invoices
        on credit_notes.invoice_key = invoices.invoice_key

)

select * from final
