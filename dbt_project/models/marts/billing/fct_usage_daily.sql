{#-
    Metered usage per tenant, subscription line item, metric and day (by occurred_at).

    Incremental, strategy `delete+insert` keyed on subscription_line_item_key (not unique in the
    table: a line has many days). Each run finds the line items touched by an event (re)loaded
    after the newest `_loaded_at` already in the table minus a lookback (var
    billing_lookback_hours, default 72) - the line the event counts for now and, from
    int_usage_event_assignments, the line it counted for before - deletes all their days and
    re-aggregates them from every event of the line (a pre-hook first removes the lines an event
    left, so a line left without events disappears too). Changed quantities, events moved to
    another day and events moved to another line are all picked up: the result equals a full
    refresh.
-#}
-- depends_on: {{ ref('int_usage_event_assignments') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='subscription_line_item_key',
        on_schema_change='fail',
        pre_hook="{{ billing_delete_reassigned_usage_lines() }}",
    )
}}

with

usage_events as (

    select * from {{ ref('stg_usage__usage_events') }}

),

{% if is_incremental() %}
    int_usage_event_assignments as (

        select * from {{ ref('int_usage_event_assignments') }}

    ),

    cutoff as (

        {{ billing_loaded_after(this) }}

    ),

    changed_events as (

        select assignments.*
        from int_usage_event_assignments as assignments
        cross join cutoff
        where assignments._loaded_at > cutoff.loaded_after

    ),

    changed_line_items as (

        select subscription_line_item_key from changed_events
        union
        select previous_subscription_line_item_key from changed_events
        where previous_subscription_line_item_key is not null

    ),
{% endif %}

events as (

    select
        usage_events.*,
        cast(usage_events.occurred_at as date) as usage_date
    from usage_events
    {% if is_incremental() %}
        inner join changed_line_items
            on usage_events.subscription_line_item_key
                = changed_line_items.subscription_line_item_key
    {% endif %}

),

aggregated as (

    select
        {{ generate_surrogate_key(['tenant_id', 'line_item_id', 'metric', 'usage_date']) }}
            as usage_daily_key,
        subscription_line_item_key,
        max(customer_key) as customer_key,
        tenant_id,
        line_item_id,
        max(customer_id) as customer_id,
        metric,
        usage_date,
        cast({{ dbt.date_trunc('month', 'usage_date') }} as date) as usage_month,
        sum(quantity) as quantity,
        count(*) as event_count,
        min(occurred_at) as first_occurred_at,
        max(occurred_at) as last_occurred_at,
        max(_loaded_at) as _loaded_at
    from events
    group by subscription_line_item_key, tenant_id, line_item_id, metric, usage_date

),

final as (

    select * from aggregated

)

select * from final
