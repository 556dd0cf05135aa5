{#-
    MRR per customer and month, from the customer's first month with MRR > 0 to the as-of
    month, with the month's movement against the month before (see the mrr_movement_type
    macro for the rules and their order). movement_amount = mrr - previous_mrr in every row,
    so opening + movements = closing holds by construction for any set of customers.

    Reporting currency (mrr, movement_type) is the metric contract's MRR. The group-currency
    figures carry their own classification (movement_type_group) because FX can make a
    customer grow in one currency and shrink in the other; the consolidated bridge uses it.

    _batch_ids: the load batches of the line items active in this month and in the month
    before (the figures and the movement rest on both).
-#}
with

customer_months as (

    select * from {{ ref('int_customer_months_spined') }}

),

lagged as (

    select
        *,
        coalesce(lag(mrr) over (
            partition by tenant_id, customer_id order by month_start
        ), 0) as previous_mrr,
        lag(mrr_original) over (
            partition by tenant_id, customer_id order by month_start
        ) as lagged_mrr_original,
        coalesce(lag(mrr_group) over (
            partition by tenant_id, customer_id order by month_start
        ), 0) as previous_mrr_group,
        coalesce(month_start = first_mrr_month, false) as is_first_month,
        lag(_batch_ids) over (
            partition by tenant_id, customer_id order by month_start
        ) as previous_batch_ids
    from customer_months

),

final as (

    select
        customer_month_key,
        customer_key,
        tenant_id,
        customer_id,
        month_start,
        first_mrr_month,
        is_first_month,
        coalesce(mrr > 0, false) as is_active,
        active_line_items,

        reporting_currency,
        mrr,
        12 * mrr as arr,
        previous_mrr,
        {{ mrr_movement_type('mrr', 'previous_mrr', 'is_first_month') }} as movement_type,
        mrr - previous_mrr as movement_amount,

        original_currency,
        mrr_original,
        case
            when original_currency is not null
                then coalesce(lagged_mrr_original, 0)
        end as previous_mrr_original,
        mrr_original - coalesce(lagged_mrr_original, 0) as movement_amount_original,

        group_currency,
        mrr_group,
        12 * mrr_group as arr_group,
        previous_mrr_group,
        {{ mrr_movement_type('mrr_group', 'previous_mrr_group', 'is_first_month') }}
            as movement_type_group,
        mrr_group - previous_mrr_group as movement_amount_group,

        -- the movement compares this month with the last, so both months' lines are behind it
        {{ batch_ids_concat(['_batch_ids', 'previous_batch_ids']) }} as _batch_ids
    from lagged

)

select * from final
