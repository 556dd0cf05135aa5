{#-
    Revenue leakage per tenant, month and currency: for every line item period due by the
    as-of date, leakage = expected - billed (valid invoice lines) where positive, summed. Over-
    billing never offsets leakage. The month is the month the period was due to be invoiced.
    Amounts in the original currency, the tenant's reporting currency and the group currency
    at that month's rate.
-#}
with

periods as (

    select * from {{ ref('int_billing_periods_reconciled') }}
    where is_expected and is_due

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

per_period as (

    select
        tenant_id,
        due_month,
        currency,
        expected_amount,
        billed_amount_valid,
        case
            when expected_amount > billed_amount_valid then expected_amount - billed_amount_valid
            else cast(0 as decimal(18, 2))
        end as leakage_amount,
        case when invoice_line_count = 0 then 1 else 0 end as is_unbilled,
        _batch_ids
    from periods

),

monthly as (

    select
        tenant_id,
        due_month as leakage_month,
        currency,
        count(*) as expected_period_count,
        sum(case when leakage_amount > 0 then 1 else 0 end) as leaking_period_count,
        sum(is_unbilled) as unbilled_period_count,
        sum(expected_amount) as expected_amount,
        sum(billed_amount_valid) as billed_amount,
        sum(leakage_amount) as leakage_amount,
        sum(case when is_unbilled = 1 then leakage_amount else 0 end)
            as missed_invoice_leakage_amount,
        sum(case when is_unbilled = 0 then leakage_amount else 0 end)
            as under_billed_leakage_amount,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from per_period
    group by tenant_id, due_month, currency

),

final as (

    select
        {{ generate_surrogate_key([
            'monthly.tenant_id', 'monthly.leakage_month', 'monthly.currency'
        ]) }}
            as revenue_leakage_key,
        monthly.tenant_id,
        monthly.leakage_month,
        monthly.currency,
        tenants.reporting_currency,
        '{{ var("group_currency") }}' as group_currency,
        monthly.expected_period_count,
        monthly.leaking_period_count,
        monthly.unbilled_period_count,
        {{ fx_convert_columns(['expected_amount', 'billed_amount', 'leakage_amount',
                                    'missed_invoice_leakage_amount', 'under_billed_leakage_amount'], 'fx_reporting.rate', 'fx_group.rate') }},
        case
            when
                monthly.expected_amount > 0
                then cast(monthly.leakage_amount / monthly.expected_amount as decimal(18, 6))
        end as leakage_rate,
        monthly._batch_ids
    from monthly
    left join tenants
        on monthly.tenant_id = tenants.tenant_id
    {{ fx_join_rate(
        'fx_reporting', 'monthly.tenant_id', 'monthly.leakage_month', 'monthly.currency',
        'tenants.reporting_currency'
    ) }}
    {{ fx_join_rate(
        'fx_group', 'monthly.tenant_id', 'monthly.leakage_month', 'monthly.currency',
        "'" ~ var('group_currency') ~ "'"
    ) }}

)

select * from final
