{#-
    The invoice-line rule: quantity x unit price less the discount percentage, rounded half up
    to cents. Multiplying by 0.01 (not dividing by 100) keeps the arithmetic in exact decimals
    on every engine, so the result matches the billing system to the cent.
-#}
{%- macro billing_line_amount(quantity, unit_price, discount_pct) -%}
    cast(round({{ quantity }} * {{ unit_price }} * (100 - coalesce({{ discount_pct }}, 0)) * 0.01, 2) as decimal(18, 2))
{%- endmacro -%}


{#- Months in one billing period of a recurring line (monthly 1, quarterly 3, annual 12). -#}
{%- macro billing_period_months(billing_period) -%}
    case {{ billing_period }}
        when 'monthly' then 1
        when 'quarterly' then 3
        when 'annual' then 12
    end
{%- endmacro -%}
