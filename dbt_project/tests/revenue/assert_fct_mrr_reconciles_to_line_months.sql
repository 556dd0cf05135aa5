{#-
    fct_mrr holds exactly the MRR of the line months: per tenant and month, the sum of
    fct_mrr.mrr (and mrr_group) equals the sum of fct_subscription_line_months'
    monthly_amount_reporting (and monthly_amount_group) - nothing lost or doubled by the spine.
    Returns the tenant-months that differ.
-#}
with

from_customers as (

    select
        tenant_id,
        month_start,
        sum(mrr) as mrr,
        sum(mrr_group) as mrr_group
    from {{ ref('fct_mrr') }}
    group by tenant_id, month_start

),

from_lines as (

    select
        tenant_id,
        month_start,
        sum(monthly_amount_reporting) as mrr,
        sum(monthly_amount_group) as mrr_group
    from {{ ref('fct_subscription_line_months') }}
    group by tenant_id, month_start

)

select
    coalesce(from_customers.tenant_id, from_lines.tenant_id) as tenant_id,
    coalesce(from_customers.month_start, from_lines.month_start) as month_start,
    from_customers.mrr as fct_mrr_mrr,
    from_lines.mrr as line_months_mrr
from from_customers
full outer join from_lines
    on from_customers.tenant_id = from_lines.tenant_id
        and from_customers.month_start = from_lines.month_start
where coalesce(from_customers.mrr, 0) <> coalesce(from_lines.mrr, 0)
    or coalesce(from_customers.mrr_group, 0) <> coalesce(from_lines.mrr_group, 0)
