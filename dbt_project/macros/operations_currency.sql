{#-
    Currency helpers of the operations domain.

    operations_join_fx_rate(alias, tenant_id, rate_month, from_currency, to_currency)
        left join of int_fx_rates_triangulated as `alias` for one conversion; the month is
        capped at the as-of month so amounts dated later (forecasts) use the latest rate.

    operations_convert_money(amount, rate)
        amount x rate rounded to cents as decimal(18, 2); null when the rate is missing, so
        a gap in the rates shows up instead of turning into zero.
-#}

{%- macro operations_join_fx_rate(alias, tenant_id, rate_month, from_currency, to_currency) -%}
    left join {{ ref('int_fx_rates_triangulated') }} as {{ alias }}
        on {{ alias }}.tenant_id = {{ tenant_id }}
        and {{ alias }}.rate_month = least({{ rate_month }}, cast({{ dbt.date_trunc('month', as_of_date()) }} as date))
        and {{ alias }}.from_currency = {{ from_currency }}
        and {{ alias }}.to_currency = {{ to_currency }}
{%- endmacro -%}


{%- macro operations_convert_money(amount, rate) -%}
    cast(round({{ amount }} * {{ rate }}, 2) as decimal(18, 2))
{%- endmacro -%}


{#-
    operations_type_double()
        A 64-bit floating type for ratios and averages. dbt.type_float() is a 32-bit `float`
        on DuckDB and Spark, which loses cents on six-figure amounts.
-#}
{%- macro operations_type_double() -%}
    {{ return(adapter.dispatch('operations_type_double')()) }}
{%- endmacro -%}

{%- macro default__operations_type_double() -%}double{%- endmacro -%}
