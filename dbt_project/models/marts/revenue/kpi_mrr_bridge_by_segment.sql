{#-
    MRR bridge per tenant, customer segment and month, in the tenant's reporting currency and
    in the group currency (columns with _group, classified on the group-currency MRR as in
    kpi_mrr_bridge_consolidated): opening + new + expansion + reactivation - contraction -
    churned = closing, exactly, and the customers behind each movement. Rows of fct_mrr
    summed (macros/mrr_bridge_aggregates.sql); the segment rows of a tenant-month add up to
    kpi_mrr_bridge, so any selection of tenants and segments is a sum of rows.
-#}
with

fct_mrr as (

    select * from {{ ref('fct_mrr') }}

),

dim_customer as (

    select * from {{ ref('dim_customer') }}

),

segment_months as (

    select
        fct_mrr.*,
        dim_customer.segment
    from fct_mrr
    inner join dim_customer
        on fct_mrr.tenant_id = dim_customer.tenant_id
            and fct_mrr.customer_id = dim_customer.customer_id

),

final as (

    select
        {{ generate_surrogate_key(['tenant_id', 'segment', 'month_start']) }}
            as bridge_segment_month_key,
        tenant_id,
        segment,
        month_start,
        max(reporting_currency) as reporting_currency,
        max(group_currency) as group_currency,
        {{ mrr_bridge_aggregates('mrr', 'previous_mrr', 'movement_type') }},
        {{ mrr_bridge_aggregates(
            'mrr_group', 'previous_mrr_group', 'movement_type_group', suffix='_group',
        ) }},
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from segment_months
    group by tenant_id, segment, month_start

)

select * from final
