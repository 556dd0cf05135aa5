-- Amounts agree with the exception type: a missed invoice billed nothing, a duplicate was
-- billed more than once, billed-before-activation expected nothing, under- and over-billing
-- are below / above expectation.
select
    exception_type,
    tenant_id,
    line_item_id,
    period_start
from {{ ref('fct_billing_exceptions') }}
where (exception_type = 'missed_invoice' and (billed_amount <> 0 or invoice_line_count <> 0))
    or (exception_type = 'duplicate_invoice' and invoice_line_count < 2)
    or (
        exception_type = 'billed_before_activation' and (expected_amount <> 0 or billed_amount <= 0)
    )
    or (exception_type = 'under_billing' and billed_amount >= expected_amount)
    or (exception_type = 'over_billing' and billed_amount <= expected_amount)
    or (exception_type = 'late_invoice' and days_invoiced_after_due <= 30)
