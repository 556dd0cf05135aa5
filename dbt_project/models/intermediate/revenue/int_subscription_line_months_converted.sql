{#-
    One row per recurring line item and month M in which it is active on the first day of M
    (start_date <= M < end_date, or no end_date), up to the as-of month. The line's normalised
    monthly amount in its own currency, in the tenant's reporting currency and in the group
    currency, each converted at M's rate. The lines behind every MRR figure.

    Rates from int_fx_rates_complete (group currency: the published rate, else its inverse,
    else through the reporting currency).
-#}
with

line_items as (

    select * from {{ ref('int_recurring_line_items_normalised') }}

),

int_days_spined as (

    select * from {{ ref('int_days_spined') }}

),

stg_finance__tenants as (

    select * from {{ ref('stg_finance__tenants') }}

),

months as (

    select distinct month_start
    from int_days_spined
    where month_start <= {{ as_of_date() }}

),

tenants as (

    select
        tenant_id,
        reporting_currency
    from stg_finance__tenants

),

line_months as (

    select
        line_items.*,
        months.month_start
    from line_items
    inner join months
        on line_items.start_date <= months.month_start
            and (line_items.end_date is null or line_items.end_date > months.month_start)

),

with_rates as (

    select
        line_months.*,
        tenants.reporting_currency,
        '{{ var("group_currency") }}' as group_currency,
        cast(to_reporting.rate as decimal(18, 8)) as fx_rate_to_reporting,
        cast(to_group.rate as decimal(18, 8)) as fx_rate_to_group
    from line_months
    inner join tenants
        on line_months.tenant_id = tenants.tenant_id
    {{ fx_join_rate(
        'to_reporting', 'line_months.tenant_id', 'line_months.month_start', 'line_months.currency',
        'tenants.reporting_currency'
    ) }}
    {{ fx_join_rate(
        'to_group', 'line_months.tenant_id', 'line_months.month_start', 'line_months.currency',
        "'" ~ var('group_currency') ~ "'"
    ) }}

),

final as (

    select
        {{ generate_surrogate_key(['tenant_id', 'line_item_id', 'month_start']) }}
            as subscription_line_month_key,
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
        cast(monthly_amount * fx_rate_to_reporting as {{ dbt.type_numeric() }})
            as monthly_amount_reporting,
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
