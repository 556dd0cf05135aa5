{#-
    Revenue schedule: one row per performance obligation (int_revenue_obligations) and month of
    its service window, with the revenue recognised in that month. Ratable obligations split
    by days: the amount recognised through the end of month M is
    round(amount x days served by then / days in the window, 2), and the month gets the
    difference to the previous month, so a period crossing month ends splits by days and the
    months add up exactly to the amount. Point-in-time and usage obligations (one-day or
    one-month windows) fall in a single month. Months after the as-of month are the scheduled
    (not yet recognised) part of periods already started.
    _batch_ids: the obligation's (int_revenue_obligations).
-#}
with

obligations as (

    select * from {{ ref('int_revenue_obligations') }}

),

dim_date as (

    select * from {{ ref('dim_date') }}

),

months as (

    select distinct month_start
    from dim_date

),

spread as (

    select
        obligations.*,
        months.month_start as revenue_month,
        {{ dbt.datediff('obligations.service_start', 'obligations.service_end', 'day') }}
            as service_days,
        {{ dbt.datediff(
            'obligations.service_start',
            'case when obligations.service_end < ' ~ dbt.dateadd('month', 1, 'months.month_start')
                ~ ' then obligations.service_end else ' ~ dbt.dateadd('month', 1, 'months.month_start') ~ ' end',
            'day') }} as days_served_through_month,
        {{ dbt.datediff(
            'obligations.service_start',
            'case when months.month_start > obligations.service_start then months.month_start else obligations.service_start end',
            'day') }} as days_served_before_month
    from obligations
    inner join months
        on months.month_start
            >= cast({{ dbt.date_trunc('month', 'obligations.service_start') }} as date)
            and obligations.service_end > months.month_start

),

final as (

    select
        {{ generate_surrogate_key(['revenue_obligation_key', 'revenue_month']) }}
            as revenue_schedule_key,
        revenue_obligation_key,
        obligation_source,
        contract_key,
        customer_key,
        tenant_id,
        line_item_id,
        invoice_line_id,
        contract_id,
        customer_id,
        product_id,
        billing_model,
        recognition_pattern,
        currency,
        service_start,
        service_end,
        service_days,
        amount as obligation_amount,
        revenue_month,
        days_served_through_month - days_served_before_month as days_in_month,
        cast(
            round(amount * days_served_through_month / service_days, 2)
            - round(amount * days_served_before_month / service_days, 2)
            as decimal(18, 2)
        ) as recognized_amount,
        case
            when
                revenue_month <= cast({{ dbt.date_trunc('month', as_of_date()) }} as date)
                then true
            else false
        end as is_recognized_by_as_of,
        _batch_ids
    from spread

)

select * from final
