{#-
    Every rate a conversion needs, per tenant and month up to the as-of month: the finance
    system's monthly rates, carried forward to months it has not published yet, plus
    identity rates (a currency to itself is 1) for every currency a tenant uses, so a join on
    (tenant_id, rate_month, from_currency, to_currency) always finds its row.
-#}
with

stg_finance__fx_rates as (

    select * from {{ ref('stg_finance__fx_rates') }}

),

int_days_spined as (

    select * from {{ ref('int_days_spined') }}

),

stg_finance__tenants as (

    select * from {{ ref('stg_finance__tenants') }}

),

published as (

    select
        tenant_id,
        rate_month,
        from_currency,
        to_currency,
        rate
    from stg_finance__fx_rates
    where from_currency <> to_currency

),

months as (

    select distinct month_start as rate_month
    from int_days_spined
    where month_start <= {{ as_of_date() }}

),

pairs as (

    select
        tenant_id,
        from_currency,
        to_currency,
        min(rate_month) as first_month
    from published
    group by tenant_id, from_currency, to_currency

),

carried_forward as (

    select
        pairs.tenant_id,
        months.rate_month,
        pairs.from_currency,
        pairs.to_currency,
        published.rate,
        row_number() over (
            partition by pairs.tenant_id, months.rate_month, pairs.from_currency, pairs.to_currency
            order by published.rate_month desc
        ) as recency
    from pairs
    inner join months
        on pairs.first_month <= months.rate_month
    inner join published
        on pairs.tenant_id = published.tenant_id
            and pairs.from_currency = published.from_currency
            and pairs.to_currency = published.to_currency
            and months.rate_month >= published.rate_month

),

currencies as (

    select
        tenant_id,
        from_currency as currency
    from pairs
    union
    select
        tenant_id,
        to_currency
    from pairs
    union
    select
        tenant_id,
        reporting_currency
    from stg_finance__tenants

),

final as (

    select
        tenant_id,
        rate_month,
        from_currency,
        to_currency,
        cast(rate as decimal(18, 8)) as rate
    from carried_forward
    where recency = 1

    union all

    select
        currencies.tenant_id,
        months.rate_month,
        currencies.currency as from_currency,
        currencies.currency as to_currency,
        cast(1 as decimal(18, 8)) as rate
    from currencies
    cross join months

)

select * from final
