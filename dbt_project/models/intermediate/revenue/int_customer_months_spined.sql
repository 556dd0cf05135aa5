{#-
    One row per customer and month from the customer's first month with MRR > 0 to the as-of
    month - every month, including the months at zero after a churn and until a
    reactivation - so that each month's movement compares with the month before it.
    (mrr-playbook's spine, carried on to the as-of month instead of stopping one month after
    the last active month.)

    MRR is the sum of the line months (int_subscription_line_months_converted) in the reporting
    currency, the group currency and - when all of the customer's recurring lines share one
    currency - the original currency; zero in months without an active line. `_batch_ids`
    lists the load batches of the line items behind the month (lineage).
-#}
with

line_months as (

    select * from {{ ref('int_subscription_line_months_converted') }}

),

int_days_spined as (

    select * from {{ ref('int_days_spined') }}

),

months as (

    select distinct month_start
    from int_days_spined
    where month_start <= {{ as_of_date() }}

),

customer_month_amounts as (

    select
        tenant_id,
        customer_id,
        month_start,
        sum(monthly_amount_reporting) as mrr,
        sum(monthly_amount) as mrr_original,
        sum(monthly_amount_group) as mrr_group,
        count(*) as active_line_items,
        {{ batch_ids_agg('_batch_id') }} as _batch_ids
    from line_months
    group by tenant_id, customer_id, month_start

),

customer_currencies as (

    select
        tenant_id,
        customer_id,
        max(customer_key) as customer_key,
        max(reporting_currency) as reporting_currency,
        max(group_currency) as group_currency,
        case when count(distinct currency) = 1 then max(currency) end as original_currency
    from line_months
    group by tenant_id, customer_id

),

first_months as (

    select
        tenant_id,
        customer_id,
        min(month_start) as first_mrr_month
    from customer_month_amounts
    where mrr > 0
    group by tenant_id, customer_id

),

spine as (

    select
        first_months.tenant_id,
        first_months.customer_id,
        first_months.first_mrr_month,
        months.month_start
    from first_months
    inner join months
        on first_months.first_mrr_month <= months.month_start

),

final as (

    select
        {{ generate_surrogate_key(['spine.tenant_id', 'spine.customer_id', 'spine.month_start']) }}
            as customer_month_key,
        customer_currencies.customer_key,
        spine.tenant_id,
        spine.customer_id,
        spine.month_start,
        spine.first_mrr_month,
        customer_currencies.reporting_currency,
        coalesce(amounts.mrr, 0) as mrr,
        customer_currencies.original_currency,
        case
            when customer_currencies.original_currency is not null
                then coalesce(amounts.mrr_original, 0)
        end as mrr_original,
        customer_currencies.group_currency,
        coalesce(amounts.mrr_group, 0) as mrr_group,
        coalesce(amounts.active_line_items, 0) as active_line_items,
        amounts._batch_ids
    from spine
    inner join customer_currencies
        on spine.tenant_id = customer_currencies.tenant_id
            and spine.customer_id = customer_currencies.customer_id
    left join customer_month_amounts as amounts
        on spine.tenant_id = amounts.tenant_id
            and spine.customer_id = amounts.customer_id
            and spine.month_start = amounts.month_start

)

select * from final
