{#-
    dbt writes the warehouse only through `opsintel dbt` or the Dagster dbt op: they take the
    writer lock, point dbt at a scratch copy and publish it when the build succeeds, and name
    that copy in $OPSINTEL_DBT_WRITER. A plain `dbt build` (run, test, seed, snapshot, ...)
    would write the working file in place, outside the lock, and publish nothing for the
    dashboards and `opsintel ml`; it stops here before writing anything. The check runs from
    `on-run-start` (dbt_project.yml) and before dbt creates a schema (dbt creates missing
    schemas before the on-run-start hooks run). Commands that only read (parse, compile, ls,
    show, docs generate, source freshness) run plainly: dbt renders the hook for them too,
    and profiles.yml opens the warehouse read-only for them.
-#}

{% macro require_warehouse_writer() -%}
    {#- The embedded DuckDB file only: an engine with a server of its own has no such file. -#}
    {%- if execute and target.type == 'duckdb'
          and flags.WHICH in ['build', 'run', 'test', 'seed', 'snapshot', 'clone', 'retry', 'run-operation']
          and env_var('OPSINTEL_DBT_WRITER', '') != target.path -%}
        {{ exceptions.raise_compiler_error(
            "`dbt " ~ flags.WHICH ~ "` would write the warehouse " ~ target.path
            ~ " in place and publish nothing; run `opsintel dbt " ~ flags.WHICH
            ~ " ...` instead (or `opsintel dbt --dev " ~ flags.WHICH ~ " ...` for a private copy)") }}
    {%- endif -%}
{%- endmacro %}

{#- dbt's own create_schema, with the writer check first. -#}
{% macro create_schema(relation) -%}
    {{ require_warehouse_writer() }}
    {{ adapter.dispatch('create_schema', 'dbt')(relation) }}
{%- endmacro %}
