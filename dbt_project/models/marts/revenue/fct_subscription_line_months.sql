{#-
    One row per recurring line item and month in which it is active, with its monthly amount
    in its own, the reporting and the group currency: the lines behind every MRR figure
    (built in int_subscription_line_months_converted).
-#}
with

line_months as (

    select * from {{ ref('int_subscription_line_months_converted') }}

)

select
    subscription_line_month_key,
    subscription_line_item_key,
    contract_key,
    customer_key,
    product_key,
    tenant_id,
    line_item_id,
    contract_id,
    customer_id,
    product_id,
    amendment_id,
    month_start,
    billing_period,
    months_per_period,
    quantity,
    unit_price,
    discount_pct,
    currency,
    monthly_amount,
    reporting_currency,
    fx_rate_to_reporting,
    monthly_amount_reporting,
    group_currency,
    fx_rate_to_group,
    monthly_amount_group,
    _batch_id,
    _source_file,
    _source_row,
    _loaded_at
from line_months
