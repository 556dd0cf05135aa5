{#-
    Every currency a tenant's operations documents use converts to its reporting currency
    and to the group currency for every month of the rate table: no money KPI row loses an
    amount to a missing rate.
-#}
with

needed as (

    select distinct
        tenant_id,
        currency
    from {{ ref('stg_partners__partners') }}
    union
    select distinct
        tenant_id,
        billing_currency
    from {{ ref('stg_crm__customers') }}
    union
    select distinct
        tenant_id,
        currency
    from {{ ref('stg_procurement__inventory_items') }}

),

targets as (

    select
        tenant_id,
        reporting_currency as to_currency
    from {{ ref('stg_finance__tenants') }}
    union
    select
        tenant_id,
        '{{ var("group_currency") }}'
    from {{ ref('stg_finance__tenants') }}

),

months as (

    select distinct
        tenant_id,
        rate_month
    from {{ ref('int_fx_rates_complete') }}

)

select
    needed.tenant_id,
    needed.currency,
    targets.to_currency,
    months.rate_month
from needed
inner join targets
    on needed.tenant_id = targets.tenant_id
inner join months
    on needed.tenant_id = months.tenant_id
left join {{ ref('int_fx_rates_complete') }} as rates
    on needed.tenant_id = rates.tenant_id
        and months.rate_month = rates.rate_month
        and needed.currency = rates.from_currency
        and targets.to_currency = rates.to_currency
where rates.rate is null
