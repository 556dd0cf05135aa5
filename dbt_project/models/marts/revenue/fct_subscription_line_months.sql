{#-
    One row per recurring line item and month M in which it is active on the first day of M
    (start_date <= M < end_date, or no end_date), up to the as-of month. The line's normalised
    monthly amount in its own currency, in the tenant's reporting currency and in the group
    currency, each converted at M's rate. The lines behind every MRR figure.

    Group currency: the tenant's direct rate from the line currency when it publishes one,
    otherwise through the reporting currency.
-#}
with

line_items as (

    select * from {{ ref('int_recurring_line_items_normalised') }}

),

months as (

    select distinct month_start
    from {{ ref('dim_date') }}
    where month_start <= {{ as_of_date() }}

),

tenants as (

    select tenant_id, reporting_currency
    from {{ ref('stg_finance__tenants') }}

),

fx_rates as (

    select tenant_id, rate_month, from_currency, to_currency, rate
    from {{ ref('int_fx_rates_monthly') }}

),

line_months as (

    select
        line_items.*,
        months.month_start
    from line_items
    inner join months
        on months.month_start >= line_items.start_date
        and (line_items.end_date is null or months.month_start < line_items.end_date)

),

with_rates as (

    select
        line_months.*,
        tenants.reporting_currency,
        '{{ var("group_currency") }}' as group_currency,
        to_reporting.rate as fx_rate_to_reporting,
        cast(
            coalesce(to_group.rate, to_reporting.rate * reporting_to_group.rate) as decimal(18, 8)
        ) as fx_rate_to_group
    from line_months
    inner join tenants
        on line_months.tenant_id = tenants.tenant_id
    left join fx_rates as to_reporting
        on line_months.tenant_id = to_reporting.tenant_id
        and line_months.month_start = to_reporting.rate_month
        and line_months.currency = to_reporting.from_currency
        and tenants.reporting_currency = to_reporting.to_currency
    left join fx_rates as to_group
        on line_months.tenant_id = to_group.tenant_id
        and line_months.month_start = to_group.rate_month
        and line_months.currency = to_group.from_currency
        and to_group.to_currency = '{{ var("group_currency") }}'
    left join fx_rates as reporting_to_group
        on line_months.tenant_id = reporting_to_group.tenant_id
        and line_months.month_start = reporting_to_group.rate_month
        and tenants.reporting_currency = reporting_to_group.from_currency
        and reporting_to_group.to_currency = '{{ var("group_currency") }}'

),

final as (

    select
        {{ generate_surrogate_key(['tenant_id', 'line_item_id', 'month_start']) }} as subscription_line_month_key,
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
        cast(monthly_amount * fx_rate_to_reporting as {{ dbt.type_numeric() }}) as monthly_amount_reporting,
        group_currency,
        fx_rate_to_group,
        cast(monthly_amount * fx_rate_to_group as {{ dbt.type_numeric() }}) as monthly_amount_group,
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at
    from with_rates

)

select * from final
