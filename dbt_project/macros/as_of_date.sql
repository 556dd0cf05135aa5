{#-
    The date the warehouse reports as of: the `as_of_date` var when set
    (`dbt build --vars '{as_of_date: 2026-10-31}'`), otherwise today. Month spines end at its
    month; nothing dated after it counts as having happened.
-#}
{%- macro as_of_date() -%}
    {%- if var('as_of_date', none) -%}
        cast('{{ var("as_of_date") }}' as date)
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro -%}
