{#-
    Every KPI row can be traced to the load batches it came from: its _batch_ids is not empty
    and every batch id in it is a batch raw.load_audit records as `loaded`.
    Returns one row per KPI row without lineage, per batch id that is not a loaded batch, and
    per kpi_* model of the project this list misses.

    The models are listed (each ref is a dependency, so `dbt build` runs this test after them);
    at run time the graph is known and any kpi_* model not listed fails the test, so a new KPI
    cannot go untraced unnoticed.
-#}
{%- set kpi_models = [
    'kpi_mrr_bridge', 'kpi_mrr_bridge_consolidated', 'kpi_retention', 'kpi_retention_consolidated',
    'kpi_revenue_leakage', 'kpi_revenue_leakage_consolidated',
    'kpi_unbilled_work', 'kpi_unbilled_work_consolidated',
    'kpi_ar_aging', 'kpi_ar_aging_consolidated', 'kpi_dso',
    'kpi_activation_lag', 'kpi_activation_lag_monthly', 'kpi_activation_lag_consolidated',
    'kpi_first_invoice_delay', 'kpi_first_invoice_delay_monthly', 'kpi_first_invoice_delay_consolidated',
    'kpi_revenue_recognition', 'kpi_revenue_recognition_by_contract', 'kpi_revenue_recognition_consolidated',
    'kpi_approvals', 'kpi_approvals_consolidated',
    'kpi_devices_not_billing',
    'kpi_forecast_variance', 'kpi_forecast_variance_consolidated',
    'kpi_implementation', 'kpi_implementation_consolidated',
    'kpi_margin', 'kpi_margin_by_partner', 'kpi_margin_by_segment', 'kpi_margin_consolidated',
    'kpi_partner_settlements', 'kpi_partner_settlements_consolidated',
    'kpi_procurement_lead_time', 'kpi_procurement_lead_time_consolidated',
    'kpi_stock', 'kpi_stock_consolidated',
    'kpi_retention_by_segment', 'kpi_mrr_bridge_by_segment', 'kpi_cohort_retention',
    'kpi_arr_by_dimension', 'kpi_activation_lag_by_segment', 'kpi_first_invoice_delay_by_segment',
    'kpi_billing_exceptions_by_age',
] -%}
{%- set uncovered = [] -%}
{%- if execute -%}
    {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.name.startswith('kpi_') and node.name not in kpi_models -%}
        {%- do uncovered.append(node.name) -%}
    {%- endfor -%}
{%- endif -%}
{%- set load_audit = api.Relation.create(
    database=target.database, schema='raw', identifier='load_audit'
) -%}
with

kpi_rows as (

    {% for model in kpi_models %}
        select
            '{{ model }}' as kpi_model,
            _batch_ids
        from {{ ref(model) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

loaded_batches as (

    select distinct batch_id
    from {{ load_audit }}
    where outcome = 'loaded'

),

batch_ids as (

    select
        kpi_model,
        unnest(string_split(_batch_ids, ', ')) as batch_id
    from kpi_rows
    where _batch_ids <> ''

)

select
    kpi_model,
    _batch_ids as problem,
    'no _batch_ids' as reason
from kpi_rows
where _batch_ids is null or _batch_ids = ''

union all

select distinct
    batch_ids.kpi_model,
    batch_ids.batch_id as problem,
    'not a loaded batch' as reason
from batch_ids
left join loaded_batches
    on batch_ids.batch_id = loaded_batches.batch_id
where loaded_batches.batch_id is null
{% for model in uncovered | sort %}

union all

select '{{ model }}' as kpi_model, cast(null as {{ dbt.type_string() }}) as problem, 'not covered by this test' as reason
{%- endfor %}
