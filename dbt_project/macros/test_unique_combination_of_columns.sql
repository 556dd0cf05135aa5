{#-
    Model-level test: no two rows share the same values in `combination_of_columns`
    (e.g. the tenant-scoped primary key [tenant_id, customer_id]). Fails with one row per
    duplicated combination.
-#}

{% test unique_combination_of_columns(model, combination_of_columns) %}

with duplicated as (

    select
        {% for column in combination_of_columns -%}
        {{ column }},
        {% endfor -%}
        count(*) as n_rows

    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1

)

select * from duplicated

{% endtest %}
