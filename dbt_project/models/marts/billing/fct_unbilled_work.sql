{#-
    Delivered work no invoice covers yet, as of the as-of date: one row per completed billable
    milestone and per month of metered usage (the as-of month with consumption to date) with no
    valid (non-void) invoice line for its line item and period. Age is counted from delivery:
    the milestone's completion date, or the last day of the usage month (the as-of date for
    the current month).
-#}
with

periods as (

    select * from {{ ref('int_billing_periods_reconciled') }}
    where is_expected
        and billing_model in ('milestone', 'usage')
        and invoice_line_count - void_line_count = 0

),

delivered as (

    select
        periods.*,
        case
            when periods.billing_model = 'usage'
                and cast({{ dbt.dateadd('day', -1, 'period_end') }} as date) > {{ as_of_date() }}
                then {{ as_of_date() }}
            when periods.billing_model = 'usage'
                then cast({{ dbt.dateadd('day', -1, 'period_end') }} as date)
            else periods.period_start
        end as delivered_date
    from periods

),

final as (

    select
        billing_period_key as unbilled_work_key,
        subscription_line_item_key,
        contract_key,
        customer_key,
        tenant_id,
        line_item_id,
        contract_id,
        customer_id,
        product_id,
        milestone_id,
        case when billing_model = 'milestone' then 'milestone' else 'usage' end as work_type,
        currency,
        period_start,
        period_end,
        delivered_date,
        due_date,
        is_due,
        expected_quantity as quantity,
        expected_amount as unbilled_amount,
        {{ dbt.datediff('delivered_date', as_of_date(), 'day') }} as age_days,
        case
            when {{ dbt.datediff('delivered_date', as_of_date(), 'day') }} <= 30 then '0-30'
            when {{ dbt.datediff('delivered_date', as_of_date(), 'day') }} <= 60 then '31-60'
            when {{ dbt.datediff('delivered_date', as_of_date(), 'day') }} <= 90 then '61-90'
            when {{ dbt.datediff('delivered_date', as_of_date(), 'day') }} <= 180 then '91-180'
            else '181+'
        end as aging_bucket,
        _batch_ids
    from delivered

)

select * from final
