{#-
    The one conversion table of the project: per tenant and month up to the as-of month, a rate
    for every currency pair any domain converts, one row per
    (tenant_id, rate_month, from_currency, to_currency), taken from the first method that has one:

      1. published                    the finance system's rate (int_fx_rates_monthly, carried forward)
      1. identity                     a currency to itself, 1
      2. inverse                      1 / the published rate of the opposite pair
      3. cross_via_group_currency     A -> B = (A -> group) / (B -> group), A and B not the group currency
      4. cross_via_reporting_currency A -> group = (A -> reporting) x (reporting -> group), rounded to
                                      8 decimals like a published rate

    Finance publishes each currency against the reporting and the group currency only, so a
    partner settled in EUR for a GBP customer needs a cross rate. Convert an amount of month M
    with the row for M (macros/fx_conversion.sql).
-#}
with

int_fx_rates_monthly as (

    select * from {{ ref('int_fx_rates_monthly') }}

),

stg_finance__tenants as (

    select * from {{ ref('stg_finance__tenants') }}

),

monthly as (

    select
        tenant_id,
        rate_month,
        from_currency,
        to_currency,
        rate
    from int_fx_rates_monthly

),

tenants as (

    select
        tenant_id,
        reporting_currency
    from stg_finance__tenants

),

candidates as (

    select
        tenant_id,
        rate_month,
        from_currency,
        to_currency,
        cast(rate as decimal(28, 12)) as rate,
        case when from_currency = to_currency then 'identity' else 'published' end as rate_method,
        1 as preference
    from monthly

    union all

    select
        tenant_id,
        rate_month,
        to_currency as from_currency,
        from_currency as to_currency,
        cast(1 / rate as decimal(28, 12)) as rate,
        'inverse' as rate_method,
        2 as preference
    from monthly
    where from_currency <> to_currency

    union all

    select
        from_leg.tenant_id,
        from_leg.rate_month,
        from_leg.from_currency,
        to_leg.from_currency as to_currency,
        cast(from_leg.rate / to_leg.rate as decimal(28, 12)) as rate,
        'cross_via_group_currency' as rate_method,
        3 as preference
    from monthly as from_leg
    inner join monthly as to_leg
        on from_leg.tenant_id = to_leg.tenant_id
            and from_leg.rate_month = to_leg.rate_month
            and from_leg.to_currency = to_leg.to_currency
    where from_leg.to_currency = '{{ var("group_currency") }}'
        and from_leg.from_currency <> to_leg.from_currency
        and from_leg.from_currency <> '{{ var("group_currency") }}'
        and to_leg.from_currency <> '{{ var("group_currency") }}'

    union all

    select
        to_reporting.tenant_id,
        to_reporting.rate_month,
        to_reporting.from_currency,
        reporting_to_group.to_currency,
        cast(
            cast(to_reporting.rate * reporting_to_group.rate as decimal(18, 8)) as decimal(28, 12)
        ) as rate,
        'cross_via_reporting_currency' as rate_method,
        4 as preference
    from monthly as to_reporting
    inner join tenants
        on to_reporting.tenant_id = tenants.tenant_id
            and to_reporting.to_currency = tenants.reporting_currency
    inner join monthly as reporting_to_group
        on to_reporting.tenant_id = reporting_to_group.tenant_id
            and to_reporting.rate_month = reporting_to_group.rate_month
            and to_reporting.to_currency = reporting_to_group.from_currency
    where reporting_to_group.to_currency = '{{ var("group_currency") }}'
        and to_reporting.from_currency <> to_reporting.to_currency
        and to_reporting.from_currency <> '{{ var("group_currency") }}'
        and tenants.reporting_currency <> '{{ var("group_currency") }}'

),

ranked as (

    select
        *,
        row_number() over (
            partition by tenant_id, rate_month, from_currency, to_currency
            order by preference
        ) as preference_rank
    from candidates

),

final as (

    select
        tenant_id,
        rate_month,
        from_currency,
        to_currency,
        rate,
        rate_method
    from ranked
    where preference_rank = 1

)

select * from final
