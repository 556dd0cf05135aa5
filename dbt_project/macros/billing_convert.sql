{#-
    Money columns in three currencies for billing KPIs: `<name>` (original currency),
    `<name>_reporting` (tenant's reporting currency) and `<name>_group` (group currency),
    converted with the int_billing_fx_rates row joined as `fx_alias`, rounded to cents.

    billing_convert_columns(['billed_amount', 'leakage_amount'], 'fx')
-#}
{%- macro billing_convert_columns(columns, fx_alias='fx') -%}
    {%- for column in columns %}
        {{ column }},
        cast(round({{ column }} * {{ fx_alias }}.reporting_rate, 2) as decimal(18, 2)) as {{ column }}_reporting,
        cast(round({{ column }} * {{ fx_alias }}.group_rate, 2) as decimal(18, 2)) as {{ column }}_group
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro -%}
