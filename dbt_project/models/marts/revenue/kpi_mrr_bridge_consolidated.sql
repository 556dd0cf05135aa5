{#-
    MRR bridge per month across all tenants in the group currency (var group_currency):
    every tenant's customer-months converted at the month's rate and classified on their
    group-currency MRR (movement_type_group), so the bridge closes exactly here too:
    opening + new + expansion + reactivation - contraction - churned = closing.
-#}
with

customer_months as (

    select * from {{ ref('fct_mrr') }}

),

final as (

    select
        month_start,
        max(group_currency) as group_currency,
        count(distinct tenant_id) as tenants,
        {{ mrr_bridge_aggregates('mrr_group', 'previous_mrr_group', 'movement_type_group') }},
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from customer_months
    group by month_start

)

select * from final
