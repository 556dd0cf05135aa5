{#-
    For every tenant, month and currency the tenant uses: the rate to the tenant's reporting
    currency and the rate to the group currency (var group_currency), from
    int_fx_rates_monthly. Billing KPIs join once on (tenant_id, rate_month, currency).
-#}
with

rates as (

    select * from {{ ref('int_fx_rates_monthly') }}

),

tenants as (

    select * from {{ ref('stg_finance__tenants') }}

),

currencies as (

    select distinct tenant_id, rate_month, from_currency as currency
    from rates

),

final as (

    select
        currencies.tenant_id,
        currencies.rate_month,
        currencies.currency,
        tenants.reporting_currency,
        to_reporting.rate as reporting_rate,
        '{{ var("group_currency") }}' as group_currency,
        to_group.rate as group_rate
    from currencies
    inner join tenants
        on currencies.tenant_id = tenants.tenant_id
    left join rates as to_reporting
        on currencies.tenant_id = to_reporting.tenant_id
        and currencies.rate_month = to_reporting.rate_month
        and currencies.currency = to_reporting.from_currency
        and tenants.reporting_currency = to_reporting.to_currency
    left join rates as to_group
        on currencies.tenant_id = to_group.tenant_id
        and currencies.rate_month = to_group.rate_month
        and currencies.currency = to_group.from_currency
        and to_group.to_currency = '{{ var("group_currency") }}'

)

select * from final
