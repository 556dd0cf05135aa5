-- The months of every obligation's schedule add up to its amount exactly.
select
    revenue_obligation_key,
    max(obligation_amount) as obligation_amount,
    sum(recognized_amount) as scheduled_amount
from {{ ref('fct_revenue_schedule') }}
group by revenue_obligation_key
having sum(recognized_amount) <> max(obligation_amount)
