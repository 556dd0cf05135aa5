{#-
    Unbilled delivered work of all tenants per work type and aging bucket, in the group
    currency.
-#}
with

unbilled as (

    select * from {{ ref('kpi_unbilled_work') }}

),

final as (

    select
        {{ generate_surrogate_key(['work_type', 'aging_bucket']) }}
            as unbilled_work_consolidated_key,
        max(as_of_date) as as_of_date,
        max(group_currency) as group_currency,
        work_type,
        aging_bucket,
        count(distinct tenant_id) as tenant_count,
        sum(item_count) as item_count,
        sum(overdue_item_count) as overdue_item_count,
        sum(unbilled_amount_group) as unbilled_amount_group,
        sum(overdue_unbilled_amount_group) as overdue_unbilled_amount_group,
        max(oldest_age_days) as oldest_age_days,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from unbilled
    group by work_type, aging_bucket

)

select * from final
