{#-
    The customer-months behind the MRR bridge: the rows of fct_mrr whose MRR moved in the
    reporting or the group currency (movement_type or movement_type_group other than none),
    with the customer's name and segment. Figures are fct_mrr's, unchanged; the dashboards
    list a period's movements from here without joining or scanning the unchanged months.
    Stored in month order, so a period's rows sit together.
-#}
with

customer_months as (

    select * from {{ ref('fct_mrr') }}
    where movement_type <> 'none' or movement_type_group <> 'none'

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
        customer_months.customer_month_key,
        customer_months.tenant_id,
        customer_months.customer_id,
        customers.customer_name,
        customers.segment,
        customer_months.month_start,
        customer_months.reporting_currency,
        customer_months.movement_type,
        customer_months.previous_mrr,
        customer_months.mrr,
        customer_months.movement_amount,
        customer_months.group_currency,
        customer_months.movement_type_group,
        customer_months.previous_mrr_group,
        customer_months.mrr_group,
        customer_months.movement_amount_group,
        customer_months._batch_ids
    from customer_months
    inner join customers
        on customer_months.tenant_id = customers.tenant_id
            and customer_months.customer_id = customers.customer_id

)

select * from final
order by month_start, tenant_id, customer_id
