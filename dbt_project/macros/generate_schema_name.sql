{#-
    A model with a custom schema (`+schema: staging`) is built in exactly that schema
    (staging, intermediate, marts) rather than dbt's default `<target schema>_<custom>`;
    models without one go to the target schema. The layers read as schemas in the warehouse.
-#}

{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
