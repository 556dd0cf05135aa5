{#-
    Days sales outstanding per tenant and month, all currencies together in the tenant's
    reporting currency (and the group currency), at each month's rate:
    DSO = AR at month end / invoiced in the 90 days ending at month end x 90.
-#}
with

aging as (

    select * from {{ ref('kpi_ar_aging') }}

),

monthly as (

    select
        tenant_id,
        aging_month,
        max(aging_date) as aging_date,
        max(reporting_currency) as reporting_currency,
        max(group_currency) as group_currency,
        sum(open_invoice_count) as open_invoice_count,
        sum(ar_total_amount_reporting) as ar_total_amount_reporting,
        sum(ar_over_90_amount_reporting) as ar_over_90_amount_reporting,
        sum(billed_last_90_days_amount_reporting) as billed_last_90_days_amount_reporting,
        sum(ar_total_amount_group) as ar_total_amount_group,
        sum(billed_last_90_days_amount_group) as billed_last_90_days_amount_group,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from aging
    group by tenant_id, aging_month

),

final as (

    select
        {{ generate_surrogate_key(['tenant_id', 'aging_month']) }} as dso_key,
        *,
        -- AR x the 90 days of the window: DSO = dso_numerator / billed_last_90_days_amount,
        -- so several tenants read together as the ratio of their sums
        ar_total_amount_reporting * 90 as dso_numerator_reporting,
        ar_total_amount_group * 90 as dso_numerator_group,
        case
            when billed_last_90_days_amount_reporting > 0
                then cast(
                        ar_total_amount_reporting * 90 / billed_last_90_days_amount_reporting
                        as decimal(18, 1)
                    )
        end as dso_days
    from monthly

)

select * from final
