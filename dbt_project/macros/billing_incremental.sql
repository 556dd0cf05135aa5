{#-
    Pre-hook of fct_usage_daily on incremental runs: remove every day of the line items that
    an updated usage event counted for before its reload (int_usage_event_assignments). The
    model then re-inserts those lines' days from the events they still have; a line left with
    no event at all simply disappears, as in a full refresh. No-op on full builds.
-#}
{%- macro billing_delete_reassigned_usage_lines() -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where subscription_line_item_key in (
        select assignments.previous_subscription_line_item_key
        from {{ ref('int_usage_event_assignments') }} as assignments
        where assignments.previous_subscription_line_item_key is not null
            and assignments._loaded_at > (
                select {{ dbt.dateadd('hour', -1 * var('billing_lookback_hours', 72), 'max(_loaded_at)') }}
                from {{ this }}
            )
    )
    {%- endif -%}
{%- endmacro -%}
