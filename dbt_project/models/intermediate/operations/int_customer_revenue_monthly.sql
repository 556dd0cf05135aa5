{#-
    Invoiced revenue per customer, month and currency: invoice subtotals (before tax) by
    invoice month, void invoices excluded (kept apart as void_invoiced_amount), and credit
    notes (not void) by month issued. net_revenue = invoiced - credited. Only documents dated
    on or before the as-of date. _batch_ids: the load batches of the month's invoices and
    credit notes.
-#}
with

stg_billing__invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

stg_billing__credit_notes as (

    select * from {{ ref('stg_billing__credit_notes') }}

),

invoices as (

    select
        tenant_id,
        customer_id,
        cast({{ dbt.date_trunc('month', 'invoice_date') }} as date) as month_start,
        currency,
        status,
        subtotal,
        _batch_id
    from stg_billing__invoices
    where invoice_date <= {{ as_of_date() }}

),

credit_notes as (

    select
        tenant_id,
        customer_id,
        cast({{ dbt.date_trunc('month', 'issued_date') }} as date) as month_start,
        currency,
        amount,
        _batch_id
    from stg_billing__credit_notes
    where status <> 'void'
        and issued_date <= {{ as_of_date() }}

),

documents as (

    select
        tenant_id,
        customer_id,
        month_start,
        currency,
        case when status <> 'void' then subtotal else 0 end as invoiced_amount,
        case when status = 'void' then subtotal else 0 end as void_invoiced_amount,
        cast(0 as decimal(18, 2)) as credited_amount,
        case when status <> 'void' then 1 else 0 end as invoice_count,
        case when status = 'void' then 1 else 0 end as void_invoice_count,
        _batch_id
    from invoices

    union all

    select
        tenant_id,
        customer_id,
        month_start,
        currency,
        cast(0 as decimal(18, 2)) as invoiced_amount,
        cast(0 as decimal(18, 2)) as void_invoiced_amount,
        amount as credited_amount,
        0 as invoice_count,
        0 as void_invoice_count,
        _batch_id
    from credit_notes

),

final as (

    select
        tenant_id,
        customer_id,
        month_start,
        currency,
        sum(invoice_count) as invoice_count,
        sum(void_invoice_count) as void_invoice_count,
        cast(sum(invoiced_amount) as decimal(18, 2)) as invoiced_amount,
        cast(sum(void_invoiced_amount) as decimal(18, 2)) as void_invoiced_amount,
        cast(sum(credited_amount) as decimal(18, 2)) as credited_amount,
        cast(sum(invoiced_amount) - sum(credited_amount) as decimal(18, 2)) as net_revenue,
        {{ batch_ids_agg('_batch_id') }} as _batch_ids
    from documents
    group by 1, 2, 3, 4

)

select * from final
