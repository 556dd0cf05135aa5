{#- Revenue recognition of all tenants per month in the group currency (at each month's rate). -#}
with

recognition as (

    select * from {{ ref('kpi_revenue_recognition') }}

),

final as (

    select
        revenue_month,
        max(group_currency) as group_currency,
        count(distinct tenant_id) as tenant_count,
        sum(billed_amount_group) as billed_amount_group,
        sum(credited_amount_group) as credited_amount_group,
        sum(net_billed_amount_group) as net_billed_amount_group,
        sum(recognized_amount_group) as recognized_amount_group,
        sum(deferred_closing_amount_group) as deferred_closing_amount_group,
        sum(unbilled_closing_amount_group) as unbilled_closing_amount_group,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from recognition
    group by revenue_month

)

select * from final
