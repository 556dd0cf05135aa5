{#-
    Revenue recognition per tenant, month and currency: billed, credited, net billed,
    recognised, and the deferred and unbilled (accrued) balances at the start and end of the
    month (sums of kpi_revenue_recognition_by_contract). In the original currency the month
    ties out exactly: net billed - recognised = change in deferred - change in unbilled.
    Reporting and group currency columns convert every figure at the month's rate (balances
    are translated at each month's rate, so converted openings need not equal the previous
    converted closing).
-#}
with

by_contract as (

    select * from {{ ref('kpi_revenue_recognition_by_contract') }}

),

stg_finance__tenants as (

    select * from {{ ref('stg_finance__tenants') }}

),

tenants as (

    select
        tenant_id,
        reporting_currency
    from stg_finance__tenants

),

monthly as (

    select
        tenant_id,
        revenue_month,
        currency,
        count(*) as account_count,
        sum(billed_amount) as billed_amount,
        sum(credited_amount) as credited_amount,
        sum(net_billed_amount) as net_billed_amount,
        sum(recognized_amount) as recognized_amount,
        sum(deferred_opening_amount) as deferred_opening_amount,
        sum(deferred_closing_amount) as deferred_closing_amount,
        sum(unbilled_opening_amount) as unbilled_opening_amount,
        sum(unbilled_closing_amount) as unbilled_closing_amount,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from by_contract
    group by tenant_id, revenue_month, currency

),

final as (

    select
        {{ generate_surrogate_key([
            'monthly.tenant_id', 'monthly.revenue_month', 'monthly.currency'
        ]) }}
            as revenue_recognition_key,
        monthly.tenant_id,
        monthly.revenue_month,
        monthly.currency,
        tenants.reporting_currency,
        '{{ var("group_currency") }}' as group_currency,
        monthly.account_count,
        {{ fx_convert_columns([
            'billed_amount', 'credited_amount', 'net_billed_amount', 'recognized_amount',
            'deferred_opening_amount', 'deferred_closing_amount',
            'unbilled_opening_amount', 'unbilled_closing_amount'], 'fx_reporting.rate', 'fx_group.rate') }},
        monthly._batch_ids
    from monthly
    left join tenants
        on monthly.tenant_id = tenants.tenant_id
    {{ fx_join_rate(
        'fx_reporting', 'monthly.tenant_id', 'monthly.revenue_month', 'monthly.currency',
        'tenants.reporting_currency'
    ) }}
    {{ fx_join_rate(
        'fx_group', 'monthly.tenant_id', 'monthly.revenue_month', 'monthly.currency',
        "'" ~ var('group_currency') ~ "'"
    ) }}

)

select * from final
