-- Every tenant, currency and month: net billed - recognised = change in deferred - change in
-- unbilled, to the cent (original currency). Returns the months that do not tie out.
select
    tenant_id,
    currency,
    revenue_month,
    net_billed_amount - recognized_amount as billed_less_recognised,
    (deferred_closing_amount - deferred_opening_amount)
    - (unbilled_closing_amount - unbilled_opening_amount) as change_in_balances
from {{ ref('kpi_revenue_recognition') }}
where net_billed_amount - recognized_amount
    <> (deferred_closing_amount - deferred_opening_amount)
    - (unbilled_closing_amount - unbilled_opening_amount)
