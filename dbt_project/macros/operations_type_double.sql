{#-
    operations_type_double()
        A 64-bit floating type for ratios and averages. dbt.type_float() is a 32-bit `float`
        on DuckDB and Spark, which loses cents on six-figure amounts.
-#}
{%- macro operations_type_double() -%}
    {{ return(adapter.dispatch('operations_type_double')()) }}
{%- endmacro -%}

{%- macro default__operations_type_double() -%}double{%- endmacro -%}
