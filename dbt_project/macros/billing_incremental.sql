{#-
    The cut-off of the billing domain's incremental runs: rows loaded after the newest
    _loaded_at already in `relation` minus a lookback (var billing_lookback_hours, default 72)
    are reprocessed. An empty relation takes everything.
-#}
{%- macro billing_loaded_after(relation) -%}
    select
        {{ dbt.dateadd('hour', -1 * var('billing_lookback_hours', 72), "coalesce(max(_loaded_at), cast('1900-01-01 00:00:00' as timestamp))") }} as loaded_after
    from {{ relation }}
{%- endmacro -%}

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
            and assignments._loaded_at > ({{ billing_loaded_after(this) }})
    )
    {%- endif -%}
{%- endmacro -%}
