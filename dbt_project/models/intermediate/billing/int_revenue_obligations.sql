{#-
    Performance obligations whose delivery started by the as-of date, with their service
    window and amount, ready to be recognised:
    - every expected billing period (int_expected_billing, due or not): recurring fees
      ratably over [period_start, min(period_end, line end_date)); usage in the month consumed
      (consumption to date for the as-of month); one-time fees and milestones at a point in
      time (a one-day window on the start / completion date);
    - ad-hoc invoice lines (sold outside any contract, not void): at their period start.
    Billing errors (periods billed before activation, duplicates, wrong amounts) create no
    obligation: revenue follows what was contracted and delivered, billing only moves the
    deferred / unbilled balances.
    _batch_ids: the load batches of the expected period (line item, usage, milestone) or of the
    ad-hoc invoice line and its invoice.
-#}
with

expected as (

    select * from {{ ref('int_expected_billing') }}

),

line_items as (

    select * from {{ ref('stg_billing__subscription_line_items') }}

),

stg_billing__invoice_lines as (

    select * from {{ ref('stg_billing__invoice_lines') }}

),

stg_billing__invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

ad_hoc_lines as (

    select
        staged_lines.invoice_line_key,
        invoices.contract_key,
        invoices.customer_key,
        staged_lines.tenant_id,
        staged_lines.invoice_line_id,
        invoices.contract_id,
        invoices.customer_id,
        staged_lines.product_id,
        invoices.currency,
        staged_lines.period_start,
        staged_lines.amount,
        {{ batch_ids_concat(['staged_lines._batch_id', 'invoices._batch_id']) }} as _batch_ids
    from stg_billing__invoice_lines as staged_lines
    inner join stg_billing__invoices as invoices
        on staged_lines.invoice_key = invoices.invoice_key
    where staged_lines.line_item_id is null
        and invoices.status <> 'void'
        and invoices.invoice_date <= {{ as_of_date() }}

),

contracted as (

    select
        expected.expected_billing_key as revenue_obligation_key,
        'line_item_period' as obligation_source,
        expected.contract_key,
        expected.customer_key,
        expected.tenant_id,
        expected.line_item_id,
        cast(null as {{ dbt.type_string() }}) as invoice_line_id,
        expected.contract_id,
        expected.customer_id,
        expected.product_id,
        expected.billing_model,
        case
            when expected.billing_model = 'recurring' then 'ratable'
            when expected.billing_model = 'usage' then 'as_consumed'
            else 'point_in_time'
        end as recognition_pattern,
        expected.currency,
        expected.period_start as service_start,
        case
            when expected.billing_model = 'recurring' and line_items.end_date < expected.period_end
                then line_items.end_date
            else expected.period_end
        end as service_end,
        expected.expected_amount as amount,
        expected._batch_ids
    from expected
    inner join line_items
        on expected.subscription_line_item_key = line_items.subscription_line_item_key

),

ad_hoc as (

    select
        invoice_line_key as revenue_obligation_key,
        'ad_hoc_invoice_line' as obligation_source,
        contract_key,
        customer_key,
        tenant_id,
        cast(null as {{ dbt.type_string() }}) as line_item_id,
        invoice_line_id,
        contract_id,
        customer_id,
        product_id,
        'one_time' as billing_model,
        'point_in_time' as recognition_pattern,
        currency,
        period_start as service_start,
        cast({{ dbt.dateadd('day', 1, 'period_start') }} as date) as service_end,
        amount,
        _batch_ids
    from ad_hoc_lines

),

final as (

    select * from contracted
    union all
    select * from ad_hoc

)

select * from final
