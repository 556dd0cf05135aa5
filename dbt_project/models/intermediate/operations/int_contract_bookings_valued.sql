{#-
    Bookings per contract (new and renewal terms alike), dated by the month signed: the
    first-year recurring value = 12 x the monthly recurring amount of the contract's original
    recurring line items in service on the contract's start date (quantity x unit price less
    the recurring discount, annual / 12, quarterly / 3). One-time, milestone and usage fees
    and later amendments are not bookings here.
    _batch_ids: the load batches of the contract and of the line items valued.
-#}
with

contracts as (

    select * from {{ ref('stg_crm__contracts') }}
    where signed_date <= {{ as_of_date() }}

),

line_items as (

    select * from {{ ref('stg_billing__subscription_line_items') }}
    where billing_model = 'recurring'
        and amendment_id is null

),

monthly_amounts as (

    select
        contracts.tenant_id,
        contracts.contract_id,
        sum(
            cast(line_items.quantity as {{ operations_type_double() }}) * line_items.unit_price
            * (100 - coalesce(line_items.discount_pct, 0)) / 100
            / case line_items.billing_period
                when 'annual' then 12 when 'quarterly' then 3 else 1
            end
        ) as monthly_recurring_amount,
        {{ batch_ids_agg('line_items._batch_id') }} as _batch_ids
    from contracts
    inner join line_items
        on contracts.tenant_id = line_items.tenant_id
            and contracts.contract_id = line_items.contract_id
            and contracts.start_date >= line_items.start_date
            and (line_items.end_date is null or contracts.start_date < line_items.end_date)
    group by 1, 2

),

final as (

    select
        contracts.tenant_id,
        contracts.contract_id,
        contracts.customer_id,
        contracts.contract_type,
        contracts.signed_date,
        cast({{ dbt.date_trunc('month', 'contracts.signed_date') }} as date) as signed_month,
        contracts.currency,
        cast(round(12 * coalesce(monthly_amounts.monthly_recurring_amount, 0), 2) as decimal(18, 2))
            as first_year_value,
        contracts.total_contract_value,
        {{ batch_ids_concat(['contracts._batch_id', 'monthly_amounts._batch_ids']) }} as _batch_ids
    from contracts
    left join monthly_amounts
        on contracts.tenant_id = monthly_amounts.tenant_id
            and contracts.contract_id = monthly_amounts.contract_id

)

select * from final
