{#-
    The billing exceptions as the billing team works them: every row of fct_billing_exceptions
    with its age bucket (days since due: 0-30, 31-60, 61-90, 91-180, 181+; an exception with
    no age counts as 181+) and the customer's name and segment. Figures are
    fct_billing_exceptions', unchanged; the dashboards count and list exceptions by type and
    age from here without a join per page load. Stored in due-month order, so a period's rows
    sit together.
-#}
with

exceptions as (

    select * from {{ ref('fct_billing_exceptions') }}

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
        exceptions.billing_exception_key,
        exceptions.tenant_id,
        exceptions.exception_type,
        case
            when exceptions.age_days <= 30 then '0-30'
            when exceptions.age_days <= 60 then '31-60'
            when exceptions.age_days <= 90 then '61-90'
            when exceptions.age_days <= 180 then '91-180'
            else '181+'
        end as age_bucket,
        exceptions.age_days,
        exceptions.customer_id,
        customers.customer_name,
        customers.segment,
        exceptions.contract_id,
        exceptions.line_item_id,
        exceptions.invoice_id,
        exceptions.period_start,
        exceptions.period_end,
        exceptions.due_date,
        exceptions.due_month,
        exceptions.currency,
        exceptions.expected_amount,
        exceptions.billed_amount,
        exceptions.difference_amount,
        exceptions.leakage_amount,
        exceptions._batch_ids
    from exceptions
    inner join customers
        on exceptions.tenant_id = customers.tenant_id
            and exceptions.customer_id = customers.customer_id

)

select * from final
order by due_month, tenant_id, customer_id
