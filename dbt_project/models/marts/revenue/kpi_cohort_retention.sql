{#-
    Logo retention of monthly customer cohorts per tenant and segment: the cohort of month C
    is the customers whose first month with MRR > 0 is C; for every month M from C to the
    as-of month, how many of them are in the cohort and how many still pay (MRR > 0 in M).
    A customer's row of fct_mrr runs every month once it had MRR, so the cohort is the same
    size in every month; retention_rate = retained / cohort customers, and a selection of
    tenants and segments reads as sum(retained_customers) / sum(cohort_customers).
-#}
with

fct_mrr as (

    select * from {{ ref('fct_mrr') }}

),

dim_customer as (

    select * from {{ ref('dim_customer') }}

),

cohort_months as (

    select
        fct_mrr.tenant_id,
        dim_customer.segment,
        fct_mrr.first_mrr_month as cohort_month,
        fct_mrr.month_start,
        fct_mrr.mrr,
        fct_mrr._batch_ids
    from fct_mrr
    inner join dim_customer
        on fct_mrr.tenant_id = dim_customer.tenant_id
            and fct_mrr.customer_id = dim_customer.customer_id

),

cohorts as (

    select
        tenant_id,
        segment,
        cohort_month,
        month_start,
        count(*) as cohort_customers,
        count(case when mrr > 0 then 1 end) as retained_customers,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from cohort_months
    group by tenant_id, segment, cohort_month, month_start

),

-- every month of a cohort rests on the customer-months that made it (its first month) too:
-- a month in which nobody of the cohort pays has no line of its own behind it
cohort_lineage as (

    select
        tenant_id,
        segment,
        cohort_month,
        _batch_ids
    from cohorts
    where month_start = cohort_month

),

final as (

    select
        {{ generate_surrogate_key([
            'cohorts.tenant_id', 'cohorts.segment', 'cohorts.cohort_month', 'cohorts.month_start',
        ]) }} as cohort_month_key,
        cohorts.tenant_id,
        cohorts.segment,
        cohorts.cohort_month,
        cohorts.month_start,
        cast({{ dbt.datediff('cohorts.cohort_month', 'cohorts.month_start', 'month') }} as integer)
            as months_since_start,
        cohorts.cohort_customers,
        cohorts.retained_customers,
        cast(
            1.0 * cohorts.retained_customers / nullif(cohorts.cohort_customers, 0)
            as {{ dbt.type_numeric() }}
        ) as retention_rate,
        {{ batch_ids_concat(['cohorts._batch_ids', 'cohort_lineage._batch_ids']) }} as _batch_ids
    from cohorts
    inner join cohort_lineage
        on cohorts.tenant_id = cohort_lineage.tenant_id
            and cohorts.segment = cohort_lineage.segment
            and cohorts.cohort_month = cohort_lineage.cohort_month

)

select * from final
