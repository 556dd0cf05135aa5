{#-
    What contracts, metered usage and delivered milestones say should be invoiced: one row per
    subscription line item and billing period whose delivery has started by the as-of date.

    - recurring: in advance, one period per billing_period (1 / 3 / 12 months) counted from
      the line's start_date while the period starts before the line's end_date; due at the
      period start; amount = quantity x unit price less discount (no proration).
    - usage: monthly in arrears; quantity = that month's events (by occurred_at); due on the
      first day of the next month. The as-of month is included with consumption to date but
      is not due yet.
    - one_time: period [start, start + 1 day), due at the start.
    - milestone: period [completed, completed + 1 day) of the milestone tied to the line,
      due on completion.
    is_due marks the periods that should already be invoiced (due_date <= as-of date).
    _batch_ids: the load batches of the line item and of the usage events or milestone behind
    the period.
-#}
with

line_items as (

    select * from {{ ref('stg_billing__subscription_line_items') }}

),

usage_monthly as (

    select * from {{ ref('int_usage_monthly') }}

),

milestones as (

    select * from {{ ref('stg_projects__milestones') }}
    where line_item_id is not null
        and completed_date is not null
        and completed_date <= {{ as_of_date() }}

),

spine as (

    {{ integer_spine(3) }}

),

recurring_lines as (

    select
        line_items.*,
        {{ billing_period_months('billing_period') }} as months_per_period
    from line_items
    where line_items.billing_model = 'recurring'
        and line_items.start_date <= {{ as_of_date() }}

),

recurring as (

    select
        recurring_lines.subscription_line_item_key,
        recurring_lines.tenant_id,
        recurring_lines.line_item_id,
        cast(
            {{ dbt.dateadd(
                'month', 'spine.n * recurring_lines.months_per_period',
                'recurring_lines.start_date'
            ) }} as date
        ) as period_start,
        cast(
            {{ dbt.dateadd(
                'month', '(spine.n + 1) * recurring_lines.months_per_period',
                'recurring_lines.start_date'
            ) }} as date
        ) as period_end,
        recurring_lines.quantity,
        cast(null as {{ dbt.type_string() }}) as milestone_id,
        cast(null as {{ dbt.type_string() }}) as _batch_ids
    from recurring_lines
    inner join spine
        on spine.n * recurring_lines.months_per_period
            <= {{ dbt.datediff('recurring_lines.start_date', as_of_date(), 'month') }}

),

recurring_periods as (

    select
        recurring.*,
        recurring.period_start as due_date
    from recurring
    inner join recurring_lines
        on recurring.subscription_line_item_key = recurring_lines.subscription_line_item_key
    where recurring.period_start <= {{ as_of_date() }}
        and recurring.period_start < recurring_lines.end_date

),

usage_periods as (

    select
        usage_monthly.subscription_line_item_key,
        usage_monthly.tenant_id,
        usage_monthly.line_item_id,
        usage_monthly.usage_month as period_start,
        cast({{ dbt.dateadd('month', 1, 'usage_monthly.usage_month') }} as date) as period_end,
        usage_monthly.quantity,
        cast(null as {{ dbt.type_string() }}) as milestone_id,
        cast({{ dbt.dateadd('month', 1, 'usage_monthly.usage_month') }} as date) as due_date,
        usage_monthly._batch_ids
    from usage_monthly
    inner join line_items
        on usage_monthly.subscription_line_item_key = line_items.subscription_line_item_key
    where line_items.billing_model = 'usage'
        and usage_monthly.quantity > 0

),

one_time_periods as (

    select
        subscription_line_item_key,
        tenant_id,
        line_item_id,
        start_date as period_start,
        cast({{ dbt.dateadd('day', 1, 'start_date') }} as date) as period_end,
        quantity,
        cast(null as {{ dbt.type_string() }}) as milestone_id,
        start_date as due_date,
        cast(null as {{ dbt.type_string() }}) as _batch_ids
    from line_items
    where billing_model = 'one_time'
        and start_date <= {{ as_of_date() }}

),

milestone_periods as (

    select
        line_items.subscription_line_item_key,
        line_items.tenant_id,
        line_items.line_item_id,
        milestones.completed_date as period_start,
        cast({{ dbt.dateadd('day', 1, 'milestones.completed_date') }} as date) as period_end,
        line_items.quantity,
        milestones.milestone_id,
        milestones.completed_date as due_date,
        milestones._batch_id as _batch_ids
    from milestones
    inner join line_items
        on milestones.subscription_line_item_key = line_items.subscription_line_item_key
    where line_items.billing_model = 'milestone'

),

periods as (

    select
        subscription_line_item_key,
        tenant_id,
        line_item_id,
        period_start,
        period_end,
        quantity,
        milestone_id,
        due_date,
        _batch_ids
    from recurring_periods
    union all
    select
        subscription_line_item_key,
        tenant_id,
        line_item_id,
        period_start,
        period_end,
        quantity,
        milestone_id,
        due_date,
        _batch_ids
    from usage_periods
    union all
    select
        subscription_line_item_key,
        tenant_id,
        line_item_id,
        period_start,
        period_end,
        quantity,
        milestone_id,
        due_date,
        _batch_ids
    from one_time_periods
    union all
    select
        subscription_line_item_key,
        tenant_id,
        line_item_id,
        period_start,
        period_end,
        quantity,
        milestone_id,
        due_date,
        _batch_ids
    from milestone_periods

),

final as (

    select
        {{ generate_surrogate_key([
            'periods.tenant_id', 'periods.line_item_id', 'periods.period_start'
        ]) }}
            as expected_billing_key,
        periods.subscription_line_item_key,
        line_items.contract_key,
        line_items.customer_key,
        periods.tenant_id,
        periods.line_item_id,
        line_items.contract_id,
        line_items.customer_id,
        line_items.product_id,
        periods.milestone_id,
        line_items.billing_model,
        line_items.billing_period,
        line_items.currency,
        periods.period_start,
        periods.period_end,
        periods.due_date,
        cast({{ dbt.date_trunc('month', 'periods.due_date') }} as date) as due_month,
        case when periods.due_date <= {{ as_of_date() }} then true else false end as is_due,
        periods.quantity,
        line_items.unit_price,
        line_items.discount_pct,
        {{ billing_line_amount(
            'periods.quantity', 'line_items.unit_price', 'line_items.discount_pct'
        ) }}
            as expected_amount,
        {{ batch_ids_concat(['periods._batch_ids', 'line_items._batch_id']) }} as _batch_ids
    from periods
    inner join line_items
        on periods.subscription_line_item_key = line_items.subscription_line_item_key

)

select * from final
