{#-
    Partner settlement accuracy, one row per commission statement.
    expected_revenue = partner-sourced invoiced revenue of the period in the partner currency
    (int_partner_revenue_monthly: every invoice issued in the month; the part on invoices
    voided since is shown as void_invoiced_revenue, a claw-back candidate, not an error of
    the statement); expected_commission = expected_revenue x the partner's
    agreed commission_pct / 100, rounded to cents; settled_commission = the statement's
    commission_amount; commission_difference = settled - expected (positive = overpaid).
    A statement is accurate when |difference| <= greatest(0.05, 0.5% of expected): FX
    rounding of converted revenue stays far below it, a wrong rate or a miscalculation does
    not. Amounts in the partner currency, the reporting currency and the group currency at
    the period month's rate.
    _batch_ids: the load batches of the statement, the partner (agreed rate) and the sourced
    revenue of the period (int_partner_revenue_monthly).
-#}
{%- set absolute_tolerance = 0.05 -%}
{%- set relative_tolerance = 0.005 -%}
with

settlements as (

    select * from {{ ref('stg_partners__partner_settlements') }}

),

partner_revenue as (

    select * from {{ ref('int_partner_revenue_monthly') }}

),

stg_partners__partners as (

    select * from {{ ref('stg_partners__partners') }}

),

stg_finance__tenants as (

    select * from {{ ref('stg_finance__tenants') }}

),

partners as (

    select
        tenant_id,
        partner_id,
        partner_name,
        partner_type,
        commission_pct,
        _batch_id
    from stg_partners__partners

),

tenants as (

    select
        tenant_id,
        reporting_currency
    from stg_finance__tenants

),

expected as (

    select
        settlements.tenant_id,
        settlements.settlement_id,
        settlements.partner_id,
        partners.partner_name,
        partners.partner_type,
        settlements.period_month,
        settlements.status,
        settlements.currency,
        tenants.reporting_currency,
        partners.commission_pct as agreed_commission_pct,
        settlements.commission_pct as stated_commission_pct,
        settlements.reported_revenue,
        cast(coalesce(partner_revenue.partner_revenue, 0) as decimal(18, 2)) as expected_revenue,
        cast(coalesce(partner_revenue.void_invoiced_revenue, 0) as decimal(18, 2))
            as void_invoiced_revenue,
        cast(
            round(
                coalesce(partner_revenue.partner_revenue, 0) * partners.commission_pct / 100, 2
            ) as decimal(18, 2)
        )
            as expected_commission,
        settlements.commission_amount as settled_commission,
        coalesce(partner_revenue.partner_revenue is null, false)
            as is_without_sourced_revenue,
        {{ batch_ids_concat([
            'settlements._batch_id', 'partners._batch_id', 'partner_revenue._batch_ids'
        ]) }}
            as _batch_ids
    from settlements
    inner join partners
        on settlements.tenant_id = partners.tenant_id
            and settlements.partner_id = partners.partner_id
    left join partner_revenue
        on settlements.tenant_id = partner_revenue.tenant_id
            and settlements.partner_id = partner_revenue.partner_id
            and settlements.period_month = partner_revenue.period_month
            and settlements.currency = partner_revenue.partner_currency
    left join tenants
        on settlements.tenant_id = tenants.tenant_id

),

compared as (

    select
        expected.*,
        cast(expected.reported_revenue - expected.expected_revenue as decimal(18, 2))
            as revenue_difference,
        cast(expected.settled_commission - expected.expected_commission as decimal(18, 2))
            as commission_difference,
        case
            when abs(expected.settled_commission - expected.expected_commission)
                <= case when {{ relative_tolerance }} * expected.expected_commission
                        > {{ absolute_tolerance }}
                        then {{ relative_tolerance }} * expected.expected_commission
                    else {{ absolute_tolerance }}
                end
                then 'accurate'
            when expected.settled_commission > expected.expected_commission then 'overstated'
            else 'understated'
        end as accuracy_status
    from expected

),

final as (

    select
        compared.*,
        coalesce(compared.accuracy_status = 'accurate', false) as is_accurate,
        case when compared.expected_commission = 0 then null
            else cast(compared.settled_commission as {{ operations_type_double() }})
                / compared.expected_commission
        end as settled_to_expected_ratio,
        {{ fx_convert_amount('compared.expected_commission', 'to_reporting.rate') }}
            as expected_commission_reporting,
        {{ fx_convert_amount('compared.settled_commission', 'to_reporting.rate') }}
            as settled_commission_reporting,
        {{ fx_convert_amount('compared.settled_commission', 'to_reporting.rate') }}
        - {{ fx_convert_amount('compared.expected_commission', 'to_reporting.rate') }}
            as commission_difference_reporting,
        {{ fx_convert_amount('compared.expected_commission', 'to_group.rate') }}
            as expected_commission_group,
        {{ fx_convert_amount('compared.settled_commission', 'to_group.rate') }}
            as settled_commission_group,
        {{ fx_convert_amount('compared.settled_commission', 'to_group.rate') }}
        - {{ fx_convert_amount('compared.expected_commission', 'to_group.rate') }}
            as commission_difference_group
    from compared
    {{ fx_join_rate(
        'to_reporting', 'compared.tenant_id', 'compared.period_month', 'compared.currency',
        'compared.reporting_currency', cap_at_as_of_month=true
    ) }}
    {{ fx_join_rate(
        'to_group', 'compared.tenant_id', 'compared.period_month', 'compared.currency',
        "'" ~ var('group_currency') ~ "'", cap_at_as_of_month=true
    ) }}

)

select * from final
