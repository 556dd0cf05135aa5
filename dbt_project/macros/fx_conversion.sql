{#-
    Currency conversion with the shared rate table int_fx_rates_complete (one row per tenant,
    month and currency pair: published, identity, inverse or cross rate).

    fx_join_rate(alias, tenant_id, rate_month, from_currency, to_currency, cap_at_as_of_month=false)
        left join of int_fx_rates_complete as `alias` for one conversion. With
        cap_at_as_of_month the month is capped at the as-of month, so amounts dated later
        (forecasts) use the latest rate.

    fx_convert_amount(amount, rate)
        amount x rate rounded to cents as decimal(18, 2); null when the rate is missing, so
        a gap in the rates shows up instead of turning into zero.

    fx_convert_columns(columns, reporting_rate, group_rate)
        for each money column `<name>`: `<name>` (original currency), `<name>_reporting`
        (tenant's reporting currency) and `<name>_group` (group currency), each converted with
        fx_convert_amount.
        fx_convert_columns(['billed_amount', 'leakage_amount'], 'fx_reporting.rate', 'fx_group.rate')
-#}

{%- macro fx_join_rate(alias, tenant_id, rate_month, from_currency, to_currency, cap_at_as_of_month=false) -%}
    left join {{ ref('int_fx_rates_complete') }} as {{ alias }}
        on {{ alias }}.tenant_id = {{ tenant_id }}
        {%- if cap_at_as_of_month %}
        and {{ alias }}.rate_month = least({{ rate_month }}, cast({{ dbt.date_trunc('month', as_of_date()) }} as date))
        {%- else %}
        and {{ alias }}.rate_month = {{ rate_month }}
        {%- endif %}
        and {{ alias }}.from_currency = {{ from_currency }}
        and {{ alias }}.to_currency = {{ to_currency }}
{%- endmacro -%}


{%- macro fx_convert_amount(amount, rate) -%}
    cast(round({{ amount }} * {{ rate }}, 2) as decimal(18, 2))
{%- endmacro -%}


{%- macro fx_convert_columns(columns, reporting_rate, group_rate) -%}
    {%- for column in columns %}
        {{ column }},
        {{ fx_convert_amount(column, reporting_rate) }} as {{ column }}_reporting,
        {{ fx_convert_amount(column, group_rate) }} as {{ column }}_group
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro -%}
