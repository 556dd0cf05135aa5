{#-
    The members of each month's 12-month cohort, per tenant, in the tenant's reporting
    currency: every customer with MRR > 0 twelve months before month_start, its MRR then and
    in month_start, and the latter capped at the former. The rows kpi_retention's NRR and GRR
    sum (macros/mrr_retention_kpis.sql: mrr_cohort_pairs), kept for the rows behind a figure.
-#}
with

fct_mrr as (

    select * from {{ ref('fct_mrr') }}

),

cohort_members as (

    {{ mrr_cohort_pairs('fct_mrr', 'mrr', partition_by=['tenant_id']) }}

),

currencies as (

    select distinct
        tenant_id,
        reporting_currency
    from fct_mrr

),

final as (

    select
        {{ generate_surrogate_key([
            'cohort_members.tenant_id', 'cohort_members.customer_id', 'cohort_members.month_start',
        ]) }} as cohort_member_key,
        cohort_members.tenant_id,
        cohort_members.customer_id,
        cohort_members.month_start,
        currencies.reporting_currency,
        cohort_members.mrr_then,
        cohort_members.mrr_now,
        cohort_members.mrr_now_capped,
        cohort_members._batch_ids
    from cohort_members
    inner join currencies
        on cohort_members.tenant_id = currencies.tenant_id

)

select * from final
