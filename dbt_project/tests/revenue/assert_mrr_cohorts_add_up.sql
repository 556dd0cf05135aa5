{#-
    fct_mrr_cohorts holds the cohorts kpi_retention measures: per tenant and month, its
    members' count and MRR then, now and now capped equal kpi_retention's cohort components.
    Returns the tenant-months that differ.
-#}
with

fct_mrr_cohorts as (

    select * from {{ ref('fct_mrr_cohorts') }}

),

kpi_retention as (

    select * from {{ ref('kpi_retention') }}

),

members as (

    select
        tenant_id,
        month_start,
        count(*) as cohort_customers,
        sum(mrr_then) as cohort_mrr_then,
        sum(mrr_now) as cohort_mrr_now,
        sum(mrr_now_capped) as cohort_mrr_now_capped
    from fct_mrr_cohorts
    group by tenant_id, month_start

),

final as (

    select
        kpi_retention.tenant_id,
        kpi_retention.month_start,
        kpi_retention.cohort_customers,
        coalesce(members.cohort_customers, 0) as member_count
    from kpi_retention
    left join members
        on kpi_retention.tenant_id = members.tenant_id
            and kpi_retention.month_start = members.month_start
    where kpi_retention.cohort_customers <> coalesce(members.cohort_customers, 0)
        or kpi_retention.cohort_mrr_then <> coalesce(members.cohort_mrr_then, 0)
        or kpi_retention.cohort_mrr_now <> coalesce(members.cohort_mrr_now, 0)
        or kpi_retention.cohort_mrr_now_capped <> coalesce(members.cohort_mrr_now_capped, 0)

)

select * from final
