{#-
    Expected billing matched with the invoice lines actually issued: one row per subscription
    line item and billing period that is either expected (delivery started by the as-of date)
    or billed (an invoice line dated on or before the as-of date names the line item and the
    period start). Ad-hoc invoice lines (no line item) are left out: nothing was expected.

    Billed figures count every issued line, void ones included (a duplicate that was caught and
    voided was still issued); *_valid figures leave void invoices out. _batch_ids: the load
    batches of the line item, its contract, the expected period and the invoices and staged_lines.
-#}
with

expected as (

    select * from {{ ref('int_expected_billing') }}

),

line_items as (

    select * from {{ ref('stg_billing__subscription_line_items') }}

),

contracts as (

    select * from {{ ref('stg_crm__contracts') }}

),

stg_billing__invoice_lines as (

    select * from {{ ref('stg_billing__invoice_lines') }}

),

stg_billing__invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

invoice_lines as (

    select
        staged_lines.tenant_id,
        staged_lines.line_item_id,
        staged_lines.subscription_line_item_key,
        staged_lines.period_start,
        staged_lines.period_end,
        staged_lines.invoice_line_id,
        staged_lines.invoice_id,
        staged_lines.quantity,
        staged_lines.unit_price,
        staged_lines.amount,
        invoices.invoice_date,
        case when invoices.status = 'void' then 1 else 0 end as is_void,
        {{ batch_ids_concat(['staged_lines._batch_id', 'invoices._batch_id']) }} as _batch_ids,
        row_number() over (
            partition by
                staged_lines.tenant_id, staged_lines.line_item_id, staged_lines.period_start
            order by invoices.invoice_date, staged_lines.invoice_id, staged_lines.invoice_line_id
        ) as issue_order,
        count(*) over (
            partition by
                staged_lines.tenant_id, staged_lines.line_item_id, staged_lines.period_start
        ) as issue_count
    from stg_billing__invoice_lines as staged_lines
    inner join stg_billing__invoices as invoices
        on staged_lines.invoice_key = invoices.invoice_key
    where staged_lines.line_item_id is not null
        and invoices.invoice_date <= {{ as_of_date() }}

),

billed as (

    select
        tenant_id,
        line_item_id,
        max(subscription_line_item_key) as subscription_line_item_key,
        period_start,
        max(period_end) as period_end,
        count(*) as invoice_line_count,
        sum(is_void) as void_line_count,
        sum(amount) as billed_amount,
        sum(case when is_void = 0 then amount else 0 end) as billed_amount_valid,
        sum(case when is_void = 0 then quantity else 0 end) as billed_quantity_valid,
        min(unit_price) as billed_unit_price_min,
        max(unit_price) as billed_unit_price_max,
        max(case when issue_order = 1 then quantity end) as first_quantity,
        max(case when issue_order = 1 then amount end) as first_amount,
        max(case when issue_order = 1 then invoice_id end) as first_invoice_id,
        max(case when issue_order = 1 then invoice_line_id end) as first_invoice_line_id,
        min(invoice_date) as first_invoice_date,
        max(case when issue_order = issue_count then invoice_id end) as last_invoice_id,
        max(case when issue_order = issue_count then invoice_line_id end) as last_invoice_line_id,
        max(invoice_date) as last_invoice_date,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from invoice_lines
    group by tenant_id, line_item_id, period_start

),

matched as (

    select
        coalesce(expected.tenant_id, billed.tenant_id) as tenant_id,
        coalesce(expected.line_item_id, billed.line_item_id) as line_item_id,
        coalesce(expected.subscription_line_item_key, billed.subscription_line_item_key)
            as subscription_line_item_key,
        coalesce(expected.period_start, billed.period_start) as period_start,
        coalesce(expected.period_end, billed.period_end) as period_end,
        expected.due_date as expected_due_date,
        expected.milestone_id,
        coalesce(expected.expected_billing_key is not null, false) as is_expected,
        coalesce(expected.is_due, false) as is_due,
        expected.quantity as expected_quantity,
        expected.unit_price as expected_unit_price,
        coalesce(expected.expected_amount, 0) as expected_amount,
        coalesce(billed.invoice_line_count, 0) as invoice_line_count,
        coalesce(billed.void_line_count, 0) as void_line_count,
        coalesce(billed.billed_amount, 0) as billed_amount,
        coalesce(billed.billed_amount_valid, 0) as billed_amount_valid,
        billed.billed_quantity_valid,
        billed.billed_unit_price_min,
        billed.billed_unit_price_max,
        billed.first_quantity,
        billed.first_amount,
        billed.first_invoice_id,
        billed.first_invoice_line_id,
        billed.first_invoice_date,
        billed.last_invoice_id,
        billed.last_invoice_line_id,
        billed.last_invoice_date,
        expected._batch_ids as expected_batch_ids,
        billed._batch_ids as billed_batch_ids
    from expected
    full outer join billed
        on expected.tenant_id = billed.tenant_id
            and expected.line_item_id = billed.line_item_id
            and expected.period_start = billed.period_start

),

final as (

    select
        {{ generate_surrogate_key([
            'matched.tenant_id', 'matched.line_item_id', 'matched.period_start'
        ]) }}
            as billing_period_key,
        matched.subscription_line_item_key,
        line_items.contract_key,
        line_items.customer_key,
        matched.tenant_id,
        matched.line_item_id,
        line_items.contract_id,
        line_items.customer_id,
        line_items.product_id,
        line_items.billing_model,
        line_items.billing_period,
        line_items.currency,
        line_items.unit_price as line_unit_price,
        line_items.start_date as line_start_date,
        line_items.end_date as line_end_date,
        contracts.service_activated_date,
        matched.period_start,
        matched.period_end,
        -- when the period should have been invoiced (billed-only periods: their period start)
        coalesce(matched.expected_due_date, matched.period_start) as due_date,
        cast(
            {{ dbt.date_trunc(
                'month', 'coalesce(matched.expected_due_date, matched.period_start)'
            ) }} as date
        ) as due_month,
        matched.milestone_id,
        matched.is_expected,
        matched.is_due,
        matched.expected_quantity,
        matched.expected_unit_price,
        matched.expected_amount,
        matched.invoice_line_count,
        matched.void_line_count,
        matched.billed_amount,
        matched.billed_amount_valid,
        matched.billed_quantity_valid,
        matched.billed_unit_price_min,
        matched.billed_unit_price_max,
        matched.first_quantity,
        matched.first_amount,
        matched.first_invoice_id,
        matched.first_invoice_line_id,
        matched.first_invoice_date,
        matched.last_invoice_id,
        matched.last_invoice_line_id,
        matched.last_invoice_date,
        {{ batch_ids_concat(['matched.expected_batch_ids', 'matched.billed_batch_ids',
                             'line_items._batch_id', 'contracts._batch_id']) }} as _batch_ids
    from matched
    left join line_items
        on matched.subscription_line_item_key = line_items.subscription_line_item_key
    left join contracts
        on line_items.contract_key = contracts.contract_key

)

select * from final
