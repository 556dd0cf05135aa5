{#-
    One row per partner commission statement with the partner's agreement (type, agreed
    commission rate), the statement amounts in the partner currency, the tenant's reporting
    currency and the group currency at the period month's rate, and days to payment.
-#}
with

settlements as (

    select * from {{ ref('stg_partners__partner_settlements') }}

),

stg_partners__partners as (

    select * from {{ ref('stg_partners__partners') }}

),

stg_finance__tenants as (

    select * from {{ ref('stg_finance__tenants') }}

),

partners as (

    select
        partner_key,
        partner_name,
        partner_type,
        commission_pct
    from stg_partners__partners

),

tenants as (

    select
        tenant_id,
        reporting_currency
    from stg_finance__tenants

),

joined as (

    select
        settlements.partner_settlement_key,
        settlements.partner_key,
        settlements.tenant_id,
        settlements.settlement_id,
        settlements.partner_id,
        partners.partner_name,
        partners.partner_type,
        settlements.period_month,
        settlements.status,
        settlements.settled_date,
        {{ dbt.datediff(
            dbt.last_day('settlements.period_month', 'month'), 'settlements.settled_date', 'day'
        ) }}
            as days_from_period_end_to_payment,
        partners.commission_pct as agreed_commission_pct,
        settlements.commission_pct as stated_commission_pct,
        coalesce(settlements.commission_pct <> partners.commission_pct, false)
            as is_rate_different_from_agreement,
        settlements.currency,
        tenants.reporting_currency,
        settlements.reported_revenue,
        settlements.commission_amount
    from settlements
    left join partners
        on settlements.partner_key = partners.partner_key
    left join tenants
        on settlements.tenant_id = tenants.tenant_id

),

final as (

    select
        joined.*,
        {{ fx_convert_amount('joined.reported_revenue', 'to_reporting.rate') }}
            as reported_revenue_reporting,
        {{ fx_convert_amount('joined.commission_amount', 'to_reporting.rate') }}
            as commission_amount_reporting,
        {{ fx_convert_amount('joined.reported_revenue', 'to_group.rate') }}
            as reported_revenue_group,
        {{ fx_convert_amount('joined.commission_amount', 'to_group.rate') }}
            as commission_amount_group
    from joined
    {{ fx_join_rate(
        'to_reporting', 'joined.tenant_id', 'joined.period_month', 'joined.currency',
        'joined.reporting_currency', cap_at_as_of_month=true
    ) }}
    {{ fx_join_rate(
        'to_group', 'joined.tenant_id', 'joined.period_month', 'joined.currency',
        "'" ~ var('group_currency') ~ "'", cap_at_as_of_month=true
    ) }}

)

select * from final
