{#-
    Partner-sourced invoiced revenue per partner and month, in the partner's settlement
    currency: subtotals of every invoice issued in the month (credit notes not deducted,
    invoices voided later included: the basis of the commission statements) to customers
    the partner sourced; the part on void invoices is also shown apart. Each invoice
    currency is converted at the month's rate and rounded to cents, then summed.
    _batch_ids: the load batches of the sourced customers' months (int_customer_revenue_monthly).
-#}
with

revenue as (

    select * from {{ ref('int_customer_revenue_monthly') }}
    where invoice_count + void_invoice_count > 0

),

stg_crm__customers as (

    select * from {{ ref('stg_crm__customers') }}

),

stg_partners__partners as (

    select * from {{ ref('stg_partners__partners') }}

),

customers as (

    select
        tenant_id,
        customer_id,
        partner_id
    from stg_crm__customers
    where partner_id is not null

),

partners as (

    select
        tenant_id,
        partner_id,
        currency
    from stg_partners__partners

),

per_currency as (

    select
        customers.tenant_id,
        customers.partner_id,
        revenue.month_start,
        revenue.currency as invoice_currency,
        partners.currency as partner_currency,
        count(distinct revenue.customer_id) as sourced_customers,
        sum(revenue.invoice_count + revenue.void_invoice_count) as invoice_count,
        sum(revenue.invoiced_amount + revenue.void_invoiced_amount) as invoiced_amount,
        sum(revenue.void_invoiced_amount) as void_invoiced_amount,
        {{ batch_ids_agg('revenue._batch_ids') }} as _batch_ids
    from revenue
    inner join customers
        on revenue.tenant_id = customers.tenant_id
            and revenue.customer_id = customers.customer_id
    inner join partners
        on customers.tenant_id = partners.tenant_id
            and customers.partner_id = partners.partner_id
    group by 1, 2, 3, 4, 5

),

converted as (

    select
        per_currency.*,
        {{ fx_convert_amount('per_currency.invoiced_amount', 'to_partner.rate') }}
            as invoiced_amount_partner_currency,
        {{ fx_convert_amount('per_currency.void_invoiced_amount', 'to_partner.rate') }}
            as void_amount_partner_currency
    from per_currency
    {{ fx_join_rate(
        'to_partner', 'per_currency.tenant_id', 'per_currency.month_start',
        'per_currency.invoice_currency', 'per_currency.partner_currency', cap_at_as_of_month=true
    ) }}

),

final as (

    select
        tenant_id,
        partner_id,
        month_start as period_month,
        partner_currency,
        sum(sourced_customers) as sourced_customers,
        sum(invoice_count) as invoice_count,
        cast(sum(invoiced_amount_partner_currency) as decimal(18, 2)) as partner_revenue,
        cast(sum(void_amount_partner_currency) as decimal(18, 2)) as void_invoiced_revenue,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from converted
    group by 1, 2, 3, 4

)

select * from final
