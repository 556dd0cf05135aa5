{#-
    Lineage of a figure: `_batch_ids`, the sorted, distinct load batches (raw.load_audit
    batch_id) of the source rows behind it, as one string joined by ', ' - e.g.
    'billing-20261125T113949-43dc4061, crm-20261125T113949-0b1c2d3e'; null when no source row
    is behind it. Batch ids never contain ', ', so a single `_batch_id` is a one-element list
    and both macros accept either form.

    batch_ids_agg('_batch_ids')                       aggregate: merge the lists of a group's rows
    batch_ids_agg('_batch_ids', over='partition by k order by m rows between unbounded preceding and current row')
                                                      window: merge the lists of the window's rows
                                                      (e.g. a running balance rests on every row so far)
    batch_ids_concat(['a._batch_id', 'b._batch_ids'])  scalar: merge the lists of one row

    No dbt cross-database macro sorts and de-duplicates a list, so they dispatch per adapter.
-#}
{%- macro batch_ids_agg(expression, over=none) -%}
    {{ return(adapter.dispatch('batch_ids_agg')(expression, over)) }}
{%- endmacro -%}

{%- macro duckdb__batch_ids_agg(expression, over=none) -%}
    nullif(array_to_string(list_sort(list_distinct(flatten(
        list(string_split({{ expression }}, ', ')){% if over is not none %} over ({{ over }}){% endif %}
    ))), ', '), '')
{%- endmacro -%}

{%- macro default__batch_ids_agg(expression, over=none) -%}
    {{ exceptions.raise_compiler_error("batch_ids_agg has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro -%}

{%- macro batch_ids_concat(expressions) -%}
    {{ return(adapter.dispatch('batch_ids_concat')(expressions)) }}
{%- endmacro -%}

{%- macro duckdb__batch_ids_concat(expressions) -%}
    nullif(array_to_string(list_sort(list_distinct(flatten([
        {%- for expression in expressions -%}
        string_split({{ expression }}, ', '){{ ', ' if not loop.last }}
        {%- endfor -%}
    ]))), ', '), '')
{%- endmacro -%}

{%- macro default__batch_ids_concat(expressions) -%}
    {{ exceptions.raise_compiler_error("batch_ids_concat has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro -%}

{#-
    Wraps mrr_retention_kpis (same arguments) with the `_batch_ids` of each row: the
    customer-months of M (which carry M-1's lines too, see fct_mrr) and, for the 12-month
    cohort behind NRR / GRR, the customer-months of M-12 with MRR > 0.
-#}
{%- macro mrr_retention_kpis_with_lineage(fct_mrr_relation, mrr, previous_mrr, movement_type, partition_by=[]) -%}
{%- set keys = partition_by + ['month_start'] -%}
with

kpis as (

    {{ mrr_retention_kpis(fct_mrr_relation, mrr, previous_mrr, movement_type, partition_by) }}

),

months_behind as (

    select {{ keys | join(', ') }}, _batch_ids
    from {{ fct_mrr_relation }}

    union all

    select
        {% for key in partition_by -%}
        {{ key }},
        {% endfor -%}
        cast({{ dbt.dateadd('month', 12, 'month_start') }} as date) as month_start,
        _batch_ids
    from {{ fct_mrr_relation }}
    where {{ mrr }} > 0

),

lineage as (

    select {{ keys | join(', ') }}, {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from months_behind
    group by {{ keys | join(', ') }}

)

select
    kpis.*,
    lineage._batch_ids
from kpis
left join lineage
    on {% for key in keys -%}
    kpis.{{ key }} = lineage.{{ key }}{{ ' and ' if not loop.last }}
    {%- endfor %}
{%- endmacro -%}
