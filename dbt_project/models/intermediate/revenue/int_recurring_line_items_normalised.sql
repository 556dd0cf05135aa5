{#-
    Recurring subscription line items with their normalised monthly amount, in the line's
    currency: quantity x unit_price x (1 - discount_pct / 100) per billing period, divided by
    the months the period covers (annual 12, quarterly 3, monthly 1). Usage, milestone and
    one-time lines are not MRR and are left out.

    The discount is applied as (100 - discount_pct) / 100 in one division with the period,
    so the only rounding is the final cast to the warehouse's numeric type.
-#}
with

line_items as (

    select * from {{ ref('stg_billing__subscription_line_items') }}
    where billing_model = 'recurring'

),

periods as (

    select
        *,
        case billing_period
            when 'monthly' then 1
            when 'quarterly' then 3
            when 'annual' then 12
        end as months_per_period
    from line_items

),

final as (

    select
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
        bundle_id,
        billing_period,
        months_per_period,
        currency,
        quantity,
        unit_price,
        discount_pct,
        cast(
            cast(quantity * unit_price as decimal(28, 8)) * (100 - discount_pct) / 100
            as {{ dbt.type_numeric() }}
        ) as net_period_amount,
        cast(
            cast(quantity * unit_price as decimal(28, 8)) * (100 - discount_pct)
            / (100 * months_per_period)
            as {{ dbt.type_numeric() }}
        ) as monthly_amount,
        start_date,
        end_date,
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at
    from periods

)

select * from final
