{#-
    Keep one row per key: the one loaded last (latest _loaded_at, then the later batch and
    source record as tie-breakers, so the choice is deterministic).

    Returns a select over `relation` with an extra _dedupe_row_number column; the caller's
    next CTE lists its columns explicitly, which drops it. Plain window function, no QUALIFY,
    so it runs on every engine.
-#}

{%- macro deduplicate_latest(relation, key_columns) -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by _loaded_at desc, _batch_id desc, _source_row desc
            ) as _dedupe_row_number
        from {{ relation }}
    ) as ranked
    where _dedupe_row_number = 1
{%- endmacro -%}
