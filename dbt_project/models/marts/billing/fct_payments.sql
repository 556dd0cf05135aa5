{#- One row per payment attempt (succeeded or failed) with the invoice it settles. -#}
with

payments as (

    select * from {{ ref('stg_billing__payments') }}

),

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

final as (

    select
        payments.payment_key,
        payments.invoice_key,
        payments.customer_key,
        invoices.contract_key,
        payments.tenant_id,
        payments.payment_id,
        payments.invoice_id,
        payments.customer_id,
        invoices.contract_id,
        payments.currency,
        payments.method,
        payments.status as payment_status,
        coalesce(payments.status = 'succeeded', false) as is_succeeded,
        payments.amount,
        payments.received_date,
        cast({{ dbt.date_trunc('month', 'payments.received_date') }} as date) as received_month,
        invoices.invoice_date,
        invoices.due_date,
        {{ dbt.datediff('invoices.due_date', 'payments.received_date', 'day') }} as days_after_due
    from payments
    left join invoices
        on payments.invoice_key = invoices.invoice_key

)

select * from final
