{#-
    Retention KPIs per tenant and month in the tenant's reporting currency: MRR, ARR, active
    customers, ARPA, logo churn rate, and 12-month NRR / GRR of the cohort with MRR > 0
    twelve months earlier (rules in macros/mrr_retention_kpis.sql), with their _batch_ids.
-#}
with

fct_mrr as (

    select * from {{ ref('fct_mrr') }}

),

final as (

    {{ mrr_retention_kpis_with_lineage(
        'fct_mrr', 'mrr', 'previous_mrr', 'movement_type', partition_by=['tenant_id']
    ) }}

)

select * from final
