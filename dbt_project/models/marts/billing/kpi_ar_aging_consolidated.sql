{#-
    AR aging and DSO of all tenants per month in the group currency (each tenant's receivables
    converted at the month's rate); DSO as in kpi_ar_aging.
-#}
with

aging as (

    select * from {{ ref('kpi_ar_aging') }}

),

monthly as (

    select
        aging_month,
        max(aging_date) as aging_date,
        max(group_currency) as group_currency,
        count(distinct tenant_id) as tenant_count,
        sum(open_invoice_count) as open_invoice_count,
        sum(ar_total_amount_group) as ar_total_amount_group,
        sum(ar_current_amount_group) as ar_current_amount_group,
        sum(ar_1_30_amount_group) as ar_1_30_amount_group,
        sum(ar_31_60_amount_group) as ar_31_60_amount_group,
        sum(ar_61_90_amount_group) as ar_61_90_amount_group,
        sum(ar_over_90_amount_group) as ar_over_90_amount_group,
        sum(billed_last_90_days_amount_group) as billed_last_90_days_amount_group,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from aging
    group by aging_month

),

final as (

    select
        monthly.*,
        case
            when monthly.billed_last_90_days_amount_group > 0
                then cast(
                        monthly.ar_total_amount_group
                        * 90
                        / monthly.billed_last_90_days_amount_group as decimal(18, 1)
                    )
        end as dso_days
    from monthly

)

select * from final
