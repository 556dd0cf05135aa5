-- Revenue leakage is expected - billed where positive: never negative, at any grain or
-- currency, and the consolidated figures equal the tenant figures.
select
    'kpi_revenue_leakage' as model_name,
    tenant_id,
    leakage_month
from {{ ref('kpi_revenue_leakage') }}
where leakage_amount < 0
    or leakage_amount_reporting < 0
    or leakage_amount_group < 0
    or leakage_amount > expected_amount
    or leakage_amount <> missed_invoice_leakage_amount + under_billed_leakage_amount

union all

select
    'kpi_revenue_leakage_consolidated' as model_name,
    cast(null as {{ dbt.type_string() }}) as tenant_id,
    leakage_month
from {{ ref('kpi_revenue_leakage_consolidated') }}
where leakage_amount_group < 0

union all

select
    'fct_billing_exceptions' as model_name,
    tenant_id,
    due_month
from {{ ref('fct_billing_exceptions') }}
where leakage_amount < 0
