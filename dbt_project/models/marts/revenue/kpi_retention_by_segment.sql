{#-
    Retention KPIs per tenant, customer segment and month, in the tenant's reporting currency
    and the group currency (columns with _group): MRR, ARR, customers, logo churn and the
    12-month NRR / GRR of the cohort with MRR > 0 twelve months earlier, with the additive
    components next to each ratio. Rules in macros/mrr_retention_kpis.sql, the same as
    kpi_retention and kpi_retention_consolidated; a selection of tenants and segments reads
    as ratio of sums, e.g. NRR = sum(cohort_mrr_now) / sum(cohort_mrr_then).
-#}
{%- set keys = ['tenant_id', 'segment', 'month_start'] -%}
{%- set figures = [
    'mrr', 'arr', 'active_customers', 'arpa', 'opening_customers', 'churned_customers',
    'logo_churn_rate', 'cohort_customers', 'cohort_retained_customers', 'cohort_mrr_then',
    'cohort_mrr_now', 'cohort_mrr_now_capped', 'nrr', 'grr',
] -%}
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

reporting_kpis as (

    {{ mrr_retention_kpis_with_lineage(
        'segment_months', 'mrr', 'previous_mrr', 'movement_type',
        partition_by=['tenant_id', 'segment'],
    ) }}

),

group_kpis as (

    {{ mrr_retention_kpis(
        'segment_months', 'mrr_group', 'previous_mrr_group', 'movement_type_group',
        partition_by=['tenant_id', 'segment'],
    ) }}

),

final as (

    select
        {{ generate_surrogate_key(['reporting_kpis.tenant_id', 'reporting_kpis.segment',
            'reporting_kpis.month_start']) }} as retention_segment_month_key,
        {% for key in keys -%}
            reporting_kpis.{{ key }},
        {% endfor -%}
        {% for figure in figures -%}
            reporting_kpis.{{ figure }},
        {% endfor -%}
        {% for figure in figures -%}
            group_kpis.{{ figure }} as {{ figure }}_group,
        {% endfor -%}
        reporting_kpis._batch_ids
    from reporting_kpis
    inner join group_kpis
        on {% for key in keys -%}
                reporting_kpis.{{ key }} = group_kpis.{{ key }}{{ ' and ' if not loop.last }}
    {%- endfor %}

)

select * from final
