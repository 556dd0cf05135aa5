{#-
    One row per invoice with its lines, payments and credit notes as of the as-of date:
    what was paid and credited by then, whether it was written off, and what is still open.
-#}
with

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

write_offs as (

    select * from {{ ref('int_invoice_write_offs') }}

),

stg_billing__invoice_lines as (

    select * from {{ ref('stg_billing__invoice_lines') }}

),

stg_billing__payments as (

    select * from {{ ref('stg_billing__payments') }}

),

stg_billing__credit_notes as (

    select * from {{ ref('stg_billing__credit_notes') }}

),

lines as (

    select
        invoice_key,
        count(*) as line_count,
        sum(amount) as line_amount,
        sum(case when line_item_id is null then 1 else 0 end) as ad_hoc_line_count
    from stg_billing__invoice_lines
    group by invoice_key

),

payments as (

    select
        invoice_key,
        sum(amount) as paid_amount,
        max(received_date) as last_payment_date
    from stg_billing__payments
    where status = 'succeeded'
        and received_date <= {{ as_of_date() }}
    group by invoice_key

),

credit_notes as (

    select
        invoice_key,
        sum(amount) as credited_amount
    from stg_billing__credit_notes
    where status <> 'void'
        and issued_date <= {{ as_of_date() }}
    group by invoice_key

),

joined as (

    select
        invoices.invoice_key,
        invoices.customer_key,
        invoices.contract_key,
        invoices.tenant_id,
        invoices.invoice_id,
        invoices.invoice_number,
        invoices.customer_id,
        invoices.contract_id,
        invoices.currency,
        invoices.status as invoice_status,
        coalesce(invoices.status = 'void', false) as is_void,
        coalesce(invoices.contract_id is null, false) as is_ad_hoc,
        invoices.invoice_date,
        invoices.due_date,
        cast({{ dbt.date_trunc('month', 'invoices.invoice_date') }} as date) as invoice_month,
        coalesce(lines.line_count, 0) as line_count,
        invoices.subtotal,
        invoices.tax_amount,
        invoices.total_amount,
        coalesce(lines.line_amount, 0) as line_amount,
        coalesce(payments.paid_amount, 0) as paid_amount,
        payments.last_payment_date,
        coalesce(credit_notes.credited_amount, 0) as credited_amount,
        write_offs.written_off_date
    from invoices
    left join lines
        on invoices.invoice_key = lines.invoice_key
    left join payments
        on invoices.invoice_key = payments.invoice_key
    left join credit_notes
        on invoices.invoice_key = credit_notes.invoice_key
    left join write_offs
        on invoices.tenant_id = write_offs.tenant_id
            and invoices.invoice_id = write_offs.invoice_id

),

final as (

    select
        *,
        case
            when is_void or written_off_date is not null then cast(0 as decimal(18, 2))
            when total_amount - paid_amount - credited_amount < 0 then cast(0 as decimal(18, 2))
            else total_amount - paid_amount - credited_amount
        end as open_amount,
        {{ dbt.datediff('due_date', as_of_date(), 'day') }} as days_past_due_as_of
    from joined

)

select * from final
