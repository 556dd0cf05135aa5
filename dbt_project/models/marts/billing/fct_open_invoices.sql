{#-
    Receivables to chase: the invoices of fct_invoices with an open amount at the as-of date
    (not void), with the customer's name and segment. Figures are fct_invoices', unchanged;
    the dashboards list what is owed from here instead of scanning every invoice and joining
    the customers on each page load.
-#}
with

invoices as (

    select * from {{ ref('fct_invoices') }}
    where open_amount > 0 and not is_void

),

dim_customer as (

    select * from {{ ref('dim_customer') }}

),

customers as (

    select
        tenant_id,
        customer_id,
        customer_name,
        segment
    from dim_customer

),

final as (

    select
        invoices.invoice_key,
        invoices.tenant_id,
        invoices.invoice_id,
        invoices.invoice_number,
        invoices.customer_id,
        customers.customer_name,
        customers.segment,
        invoices.invoice_date,
        invoices.due_date,
        invoices.days_past_due_as_of,
        invoices.currency,
        invoices.total_amount,
        invoices.paid_amount,
        invoices.credited_amount,
        invoices.open_amount
    from invoices
    inner join customers
        on invoices.tenant_id = customers.tenant_id
            and invoices.customer_id = customers.customer_id

)

select * from final
