{#-
    Forecast against actual of all tenants per month, segment and metric, in the group
    currency; tenant_id is 'ALL' (every tenant consolidated).
-#}
with

variance as (

    select * from {{ ref('kpi_forecast_variance') }}

),

final as (

    select
        'ALL' as tenant_id,
        variance.month_start,
        variance.segment,
        variance.metric,
        '{{ var("group_currency") }}' as group_currency,
        min(case when is_closed_month then 1 else 0 end) = 1 as is_closed_month,
        count(distinct variance.tenant_id) as tenants,
        sum(forecast_amount_group) as forecast_amount_group,
        sum(actual_amount_group) as actual_amount_group,
        sum(variance_group) as variance_group,
        case when sum(forecast_amount_group) = 0 then null
            else cast(sum(variance_group) as {{ operations_type_double() }})
                / sum(forecast_amount_group)
        end as variance_pct,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from variance
    group by 1, 2, 3, 4, 5

)

select * from final
