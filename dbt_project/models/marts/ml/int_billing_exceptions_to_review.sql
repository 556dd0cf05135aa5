{#-
    The rule-based billing exceptions due by the as-of date, as the billing review queue reads
    them: amounts as numbers, the product's name, and the rate from the invoice currency to the
    tenant's reporting currency in the month the item fell due. One row per exception;
    ml/review_queue.py merges those on one invoice line into one queue item.
-#}
with

billing_exceptions as (

    select * from {{ ref('fct_billing_exceptions') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

tenants as (

    select * from {{ ref('dim_tenant') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_monthly') }}

),

final as (

    select
        e.tenant_id,
        e.exception_type,
        e.customer_id,
        e.invoice_id,
        e.invoice_line_id,
        e.line_item_id,
        coalesce(p.product_name, e.product_id) as product_name,
        e.period_start,
        e.currency,
        t.reporting_currency,
        cast(e.expected_amount as double) as expected_amount,
        cast(coalesce(e.billed_amount, 0) as double) as billed_amount,
        cast(e.expected_unit_price as double) as expected_unit_price,
        cast(e.billed_unit_price as double) as billed_unit_price,
        e.days_invoiced_after_due,
        case
            when e.currency = t.reporting_currency then 1.0 else cast(fx.rate as double)
        end as fx_rate_to_reporting,
        {{ as_of_date() }} as as_of_date
    from billing_exceptions as e
    left join products as p
        on e.tenant_id = p.tenant_id and e.product_id = p.product_id
    left join tenants as t
        on e.tenant_id = t.tenant_id
    left join fx_rates as fx
        on
            e.tenant_id = fx.tenant_id
            and fx.rate_month = {{ dbt.date_trunc('month', 'e.due_date') }}
            and e.currency = fx.from_currency
            and t.reporting_currency = fx.to_currency
    where e.due_date <= {{ as_of_date() }}

)

select * from final
