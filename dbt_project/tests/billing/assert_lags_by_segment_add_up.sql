{#-
    The contract lags by segment add up: per tenant and month, the segment rows of
    kpi_activation_lag_by_segment and kpi_first_invoice_delay_by_segment sum to the
    contract-type rows of the _monthly models (counts), and their total days and measured
    contracts to the contracts of the row-level marts. Returns the months that differ.
-#}
{%- set lags = [
    {'name': 'activation_lag', 'month': 'signed_month',
     'counts': ['contracts_signed', 'contracts_activated', 'contracts_over_30_days']},
    {'name': 'first_invoice_delay', 'month': 'activated_month',
     'counts': ['contracts_activated', 'contracts_invoiced', 'contracts_delayed']},
] -%}
with

{% for lag in lags %}
    kpi_{{ lag.name }} as (

        select * from {{ ref('kpi_' ~ lag.name) }}

    ),

    kpi_{{ lag.name }}_monthly as (

        select * from {{ ref('kpi_' ~ lag.name ~ '_monthly') }}

    ),

    kpi_{{ lag.name }}_by_segment as (

        select * from {{ ref('kpi_' ~ lag.name ~ '_by_segment') }}

    ),

{% endfor %}
{% for lag in lags %}
    {{ lag.name }}_expected as (

        select
            monthly.tenant_id,
            monthly.{{ lag.month }} as month_start,
            {% for column in lag.counts -%}
                monthly.{{ column }},
            {% endfor -%}
            contracts.contracts_measured,
            contracts.total_days
        from (
            select
                tenant_id,
                {{ lag.month }},
            {% for column in lag.counts -%}
                sum({{ column }}) as {{ column }}{{ ',' if not loop.last }}
            {% endfor %}
            from kpi_{{ lag.name }}_monthly
            group by tenant_id, {{ lag.month }}
        ) as monthly  -- noqa: ST05
        inner join (  -- noqa: ST05
            select
                tenant_id,
                {{ lag.month }},
                count({{ lag.name }}_days) as contracts_measured,
                sum({{ lag.name }}_days) as total_days
            from kpi_{{ lag.name }}
            group by tenant_id, {{ lag.month }}
        ) as contracts
            on monthly.tenant_id = contracts.tenant_id
                and monthly.{{ lag.month }} = contracts.{{ lag.month }}

    ),

    {{ lag.name }}_sums as (

        select
            tenant_id,
            {{ lag.month }} as month_start,
            {% for column in lag.counts -%}
                sum({{ column }}) as {{ column }},
            {% endfor -%}
            sum(contracts_measured) as contracts_measured,
            sum(total_{{ lag.name }}_days) as total_days
        from kpi_{{ lag.name }}_by_segment
        group by tenant_id, {{ lag.month }}

    ),

    {{ lag.name }}_differences as (

        select
            '{{ lag.name }}' as lag_name,
            coalesce(expected.tenant_id, sums.tenant_id) as tenant_id,
            coalesce(expected.month_start, sums.month_start) as month_start
        from {{ lag.name }}_expected as expected
        full outer join {{ lag.name }}_sums as sums
            on expected.tenant_id = sums.tenant_id
                and expected.month_start = sums.month_start
        where {% for column in lag.counts + ['contracts_measured', 'total_days'] -%}
                coalesce(expected.{{ column }}, -1) <> coalesce(sums.{{ column }}, -1)
                {{- ' or' if not loop.last }}
        {% endfor %}

    ),

{% endfor %}
final as (

    {% for lag in lags -%}
        select * from {{ lag.name }}_differences
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
