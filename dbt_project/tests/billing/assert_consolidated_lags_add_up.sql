-- Consolidated activation-lag and first-invoice-delay counts equal the sum of the tenants'.
with

per_tenant as (
    select
        'activation' as kpi,
        signed_month as month_start,
        contract_type,
        sum(contracts_signed) as contracts,
        sum(contracts_over_30_days) as flagged
    from {{ ref('kpi_activation_lag_monthly') }}
    group by signed_month, contract_type
    union all
    select
        'first_invoice' as kpi,
        activated_month as month_start,
        contract_type,
        sum(contracts_activated) as contracts,
        sum(contracts_delayed) as flagged
    from {{ ref('kpi_first_invoice_delay_monthly') }}
    group by activated_month, contract_type
),

consolidated as (
    select
        'activation' as kpi,
        signed_month as month_start,
        contract_type,
        contracts_signed as contracts,
        contracts_over_30_days as flagged
    from {{ ref('kpi_activation_lag_consolidated') }}
    union all
    select
        'first_invoice' as kpi,
        activated_month as month_start,
        contract_type,
        contracts_activated as contracts,
        contracts_delayed as flagged
    from {{ ref('kpi_first_invoice_delay_consolidated') }}
)

select
    p.kpi,
    p.month_start,
    p.contract_type
from per_tenant as p
full outer join consolidated as c
    on p.kpi = c.kpi and p.month_start = c.month_start and p.contract_type = c.contract_type
where p.contracts is distinct from c.contracts or p.flagged is distinct from c.flagged
