{#-
    Every pair a conversion of the operations domain needs, per tenant and month: the
    published rate (or identity) when there is one, else the inverse of the published
    opposite pair, else a cross rate through the group currency (A -> USD / B -> USD).
    Finance publishes each currency against the reporting and the group currency only, so a
    partner settled in EUR for a GBP customer needs the cross rate.
-#}
with

monthly as (

    select tenant_id, rate_month, from_currency, to_currency, rate
    from {{ ref('int_fx_rates_monthly') }}

),

candidates as (

    select
        tenant_id,
        rate_month,
        from_currency,
        to_currency,
        cast(rate as decimal(28, 12)) as rate,
        'published' as rate_method,
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
