-- Each contract account's opening balances equal the previous month's closing balances, and
-- the first month opens at zero. Returns the months that break the roll-forward.
with

balances as (

    select
        *,
        lag(deferred_closing_amount) over (
            partition by tenant_id, customer_id, contract_id, currency order by revenue_month
        ) as previous_deferred_closing,
        lag(unbilled_closing_amount) over (
            partition by tenant_id, customer_id, contract_id, currency order by revenue_month
        ) as previous_unbilled_closing
    from {{ ref('kpi_revenue_recognition_by_contract') }}

)

select
    tenant_id,
    customer_id,
    contract_id,
    currency,
    revenue_month,
    deferred_opening_amount,
    previous_deferred_closing,
    unbilled_opening_amount,
    previous_unbilled_closing
from balances
where deferred_opening_amount <> coalesce(previous_deferred_closing, 0)
    or unbilled_opening_amount <> coalesce(previous_unbilled_closing, 0)
    or (deferred_closing_amount > 0 and unbilled_closing_amount > 0)
