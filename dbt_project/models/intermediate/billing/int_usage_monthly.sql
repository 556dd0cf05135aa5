{#-
    Metered consumption per tenant, usage line item and calendar month (by occurred_at), up to
    the as-of date: what a usage line bills in arrears for that month.
-#}
with

usage_events as (

    select * from {{ ref('stg_usage__usage_events') }}
    where occurred_at < {{ dbt.dateadd('day', 1, as_of_date()) }}

),

final as (

    select
        tenant_id,
        line_item_id,
        subscription_line_item_key,
        cast({{ dbt.date_trunc('month', 'occurred_at') }} as date) as usage_month,
        sum(quantity) as quantity,
        count(*) as event_count,
        cast(min(occurred_at) as date) as first_usage_date,
        cast(max(occurred_at) as date) as last_usage_date,
        {{ batch_ids_agg('_batch_id') }} as _batch_ids
    from usage_events
    group by
        tenant_id,
        line_item_id,
        subscription_line_item_key,
        cast({{ dbt.date_trunc('month', 'occurred_at') }} as date)

)

select * from final
