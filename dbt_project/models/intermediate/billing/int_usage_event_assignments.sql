{#-
    Where every usage event counts: its line item and day, and - for events (re)loaded by the
    latest run - the line item and day it counted in before. fct_usage_daily uses the previous
    assignment to re-aggregate the days an updated event left, not only the days it moved to.

    Incremental, strategy `merge` on usage_event_key: each run takes the events (re)loaded
    after the newest `_loaded_at` already in the table minus a lookback (var
    billing_lookback_hours, default 72) and records their previous assignment from this table.
    Full-refresh it together with fct_usage_daily.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='usage_event_key',
        on_schema_change='fail',
    )
}}

with

usage_events as (

    select * from {{ ref('stg_usage__usage_events') }}

),

{% if is_incremental() %}
    cutoff as (

        {{ billing_loaded_after(this) }}

    ),
{% endif %}

final as (

    select
        usage_events.usage_event_key,
        usage_events.tenant_id,
        usage_events.event_id,
        usage_events.subscription_line_item_key,
        cast(usage_events.occurred_at as date) as usage_date,
        {% if is_incremental() %}
            previous.subscription_line_item_key as previous_subscription_line_item_key,
            previous.usage_date as previous_usage_date,
        {% else %}
            cast(null as {{ dbt.type_string() }}) as previous_subscription_line_item_key,
            cast(null as date) as previous_usage_date,
        {% endif %}
        usage_events._loaded_at
    from usage_events
    {% if is_incremental() %}
        cross join cutoff
        left join {{ this }} as previous
            on usage_events.usage_event_key = previous.usage_event_key
        where usage_events._loaded_at > cutoff.loaded_after
    {% endif %}

)

select * from final
