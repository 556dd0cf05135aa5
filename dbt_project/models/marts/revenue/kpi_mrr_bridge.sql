{#-
    MRR bridge per tenant and month in the tenant's reporting currency, from the tenant's
    first month with MRR to the as-of month: opening (= last month's closing) + new +
    expansion + reactivation - contraction - churned = closing, exactly; and the customers
    behind each movement. Rows of fct_mrr summed, nothing else.
-#}
with

customer_months as (

    select * from {{ ref('fct_mrr') }}

),

final as (

    select
        {{ generate_surrogate_key(['tenant_id', 'month_start']) }} as tenant_month_key,
        tenant_id,
        month_start,
        max(reporting_currency) as reporting_currency,
        {{ mrr_bridge_aggregates('mrr', 'previous_mrr', 'movement_type') }},
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from customer_months
    group by tenant_id, month_start

)

select * from final
