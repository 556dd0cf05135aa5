{#-
    Billing exceptions: expected billing compared with the invoice lines issued, one row per
    subscription line item, billing period and exception type, as of the as-of date.

    Rules (evaluated on int_billing_periods_reconciled; a period can carry more than one type):
    - missed_invoice: an expected period that is due and has no invoice line at all.
    - duplicate_invoice: more than one invoice line for the same line item and period.
    - billed_before_activation: an invoice line for a period nothing expected, starting before
      the line item's start date, or (recurring lines) before the contract's service
      activation date or while the contract is not activated at all.
    - wrong_price: an invoice line whose unit price differs from the line item's unit price.
    - under_billing / over_billing: a single invoice line at the right unit price whose amount
      is below / above the expected amount; an invoice line for a period nothing expected that
      is not explained by a missing activation is over-billing with an expected amount of 0.
    - late_invoice: first invoiced more than 30 days after the period was due.
-#}
with

periods as (

    select * from {{ ref('int_billing_periods_reconciled') }}

),

flagged as (

    select
        periods.*,
        coalesce(
            periods.is_expected and periods.is_due and periods.invoice_line_count = 0, false
        ) as is_missed_invoice,
        coalesce(periods.invoice_line_count > 1, false) as is_duplicate_invoice,
        coalesce(
            periods.invoice_line_count > 0
            and not periods.is_expected
            and (
                periods.period_start < periods.line_start_date
                or (
                    periods.billing_model = 'recurring'
                    and (
                        periods.service_activated_date is null
                        or periods.period_start < periods.service_activated_date
                    )
                )
            ),
            false
        ) as is_billed_before_activation,
        coalesce(
            periods.invoice_line_count > 0
            and periods.is_expected
            and (
                periods.billed_unit_price_min <> periods.expected_unit_price
                or periods.billed_unit_price_max <> periods.expected_unit_price
            ),
            false
        ) as is_wrong_price,
        case
            when periods.invoice_line_count > 0 and periods.is_expected
                and {{ dbt.datediff('due_date', 'first_invoice_date', 'day') }} > 30
                then true
            else false
        end as is_late_invoice
    from periods

),

classified as (

    select
        flagged.*,
        coalesce(
            flagged.is_expected
            and flagged.invoice_line_count = 1
            and not flagged.is_wrong_price
            and flagged.first_amount < flagged.expected_amount,
            false
        ) as is_under_billing,
        case
            when flagged.is_expected
                and flagged.invoice_line_count = 1
                and not flagged.is_wrong_price
                and flagged.first_amount > flagged.expected_amount
                then true
            when not flagged.is_expected
                and flagged.invoice_line_count > 0
                and not flagged.is_billed_before_activation
                then true
            else false
        end as is_over_billing
    from flagged

),

exceptions as (

    {% set exception_types = [
        'missed_invoice', 'duplicate_invoice', 'billed_before_activation', 'wrong_price',
        'under_billing', 'over_billing', 'late_invoice'
    ] %}
    {% for exception_type in exception_types %}
        select
            '{{ exception_type }}' as exception_type,
            classified.*
        from classified
        where is_{{ exception_type }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        {{ generate_surrogate_key([
            'tenant_id', 'line_item_id', 'period_start', 'exception_type'
        ]) }}
            as billing_exception_key,
        billing_period_key,
        subscription_line_item_key,
        contract_key,
        customer_key,
        tenant_id,
        exception_type,
        line_item_id,
        contract_id,
        customer_id,
        product_id,
        billing_model,
        currency,
        period_start,
        period_end,
        due_date,
        due_month,
        milestone_id,
        case
            when exception_type = 'duplicate_invoice' then last_invoice_id else first_invoice_id
        end as invoice_id,
        case
            when exception_type = 'duplicate_invoice' then last_invoice_line_id else
                first_invoice_line_id
        end as invoice_line_id,
        first_invoice_date,
        invoice_line_count,
        expected_unit_price,
        billed_unit_price_max as billed_unit_price,
        expected_quantity,
        expected_amount,
        billed_amount,
        billed_amount - expected_amount as difference_amount,
        case
            when expected_amount > billed_amount_valid then expected_amount - billed_amount_valid
            else cast(0 as decimal(18, 2))
        end as leakage_amount,
        case
            when
                first_invoice_date is not null
                then {{ dbt.datediff('due_date', 'first_invoice_date', 'day') }}
        end as days_invoiced_after_due,
        {{ dbt.datediff('due_date', as_of_date(), 'day') }} as age_days,
        _batch_ids
    from exceptions

)

select * from final
