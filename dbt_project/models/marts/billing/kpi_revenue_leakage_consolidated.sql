{#-
    Revenue leakage of all tenants per month in the group currency (sum of kpi_revenue_leakage
    converted at each month's rate).
-#}
with

leakage as (

    select * from {{ ref('kpi_revenue_leakage') }}

),

final as (

    select
        leakage_month,
        max(group_currency) as group_currency,
        count(distinct tenant_id) as tenant_count,
        sum(expected_period_count) as expected_period_count,
        sum(leaking_period_count) as leaking_period_count,
        sum(expected_amount_group) as expected_amount_group,
        sum(billed_amount_group) as billed_amount_group,
        sum(leakage_amount_group) as leakage_amount_group,
        sum(missed_invoice_leakage_amount_group) as missed_invoice_leakage_amount_group,
        sum(under_billed_leakage_amount_group) as under_billed_leakage_amount_group,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from leakage
    group by leakage_month

)

select * from final
