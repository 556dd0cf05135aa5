{#-
    Retention KPIs per month across all tenants in the group currency (var group_currency):
    MRR, ARR, active customers, ARPA, logo churn rate, 12-month NRR / GRR (rules in
    macros/mrr_retention_kpis.sql), on the group-currency MRR of fct_mrr, with their _batch_ids.
-#}
with

fct_mrr as (

    select * from {{ ref('fct_mrr') }}

),

final as (

    {{ mrr_retention_kpis_with_lineage(
        'fct_mrr', 'mrr_group', 'previous_mrr_group', 'movement_type_group'
    ) }}

)

select * from final
