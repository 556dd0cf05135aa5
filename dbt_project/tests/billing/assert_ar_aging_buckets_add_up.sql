-- The aging buckets add up to the total receivable in every tenant, month and currency.
select
    tenant_id,
    aging_month,
    currency
from {{ ref('kpi_ar_aging') }}
where ar_total_amount
    <> ar_current_amount + ar_1_30_amount + ar_31_60_amount + ar_61_90_amount + ar_over_90_amount
