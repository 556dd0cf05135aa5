{#-
    Integers 0 .. 10^digits - 1 as column `n`, from cross joins of ten literal rows: portable
    to every engine (no generate_series / range table functions).
-#}
{%- macro integer_spine(digits) -%}
    select
        {% for i in range(digits) -%}
        digit_{{ i }}.d * {{ 10 ** i }}{{ ' +' if not loop.last }}
        {% endfor -%} as n
    from (select 0 as d union all select 1 union all select 2 union all select 3 union all select 4
          union all select 5 union all select 6 union all select 7 union all select 8 union all select 9) as digit_0
    {%- for i in range(1, digits) %}
    cross join (select 0 as d union all select 1 union all select 2 union all select 3 union all select 4
          union all select 5 union all select 6 union all select 7 union all select 8 union all select 9) as digit_{{ i }}
    {%- endfor %}
{%- endmacro -%}
