{#-
    The MRR bridge closes exactly, per tenant-month (reporting currency) and per month
    consolidated (group currency):
        opening + new + expansion + reactivation - contraction - churned = closing
        opening = closing of the month before (0 in the first month)
        opening customers + new + reactivated - churned = closing customers
    Returns one row per month that breaks any of them.
-#}
with

bridges as (

    select
        'tenant' as bridge,
        tenant_id,
        month_start,
        opening_mrr,
        new_mrr,
        expansion_mrr,
        reactivation_mrr,
        contraction_mrr,
        churned_mrr,
        closing_mrr,
        opening_customers,
        new_customers,
        reactivation_customers,
        churned_customers,
        closing_customers
    from {{ ref('kpi_mrr_bridge') }}

    union all

    select
        'consolidated' as bridge,
        'all' as tenant_id,
        month_start,
        opening_mrr,
        new_mrr,
        expansion_mrr,
        reactivation_mrr,
        contraction_mrr,
        churned_mrr,
        closing_mrr,
        opening_customers,
        new_customers,
        reactivation_customers,
        churned_customers,
        closing_customers
    from {{ ref('kpi_mrr_bridge_consolidated') }}

),

with_previous as (

    select
        *,
        coalesce(lag(closing_mrr) over (partition by bridge, tenant_id order by month_start), 0)
            as previous_closing_mrr
    from bridges

)

select *
from with_previous
where opening_mrr + new_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr
    <> closing_mrr
    or opening_mrr <> previous_closing_mrr
    or opening_customers + new_customers + reactivation_customers - churned_customers
    <> closing_customers
