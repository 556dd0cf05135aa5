{#-
    The aggregations of KPI marts that exist per tenant and consolidated (all tenants):
    one macro per KPI, the grouping columns passed in, so both grains compute each figure the
    same way. `dimensions` are column names of the relation; they are selected and grouped by.
    `with_tenant_count` adds how many tenants a consolidated group spans. `with_components`
    adds the additive parts of the average lag (contracts measured, total days), so that
    several groups read together average as sum(total days) / sum(contracts measured).
    The relation carries
    `_batch_ids`; each group's lineage (the merged lists of its rows) is the last column.
-#}

{%- macro activation_lag_rollup(relation, dimensions, with_tenant_count=false, with_components=false) -%}
    select
        {% for d in dimensions %}{{ d }},
        {% endfor -%}
        {% if with_tenant_count %}count(distinct tenant_id) as tenant_count,
        {% endif -%}
        count(*) as contracts_signed,
        sum(case when is_activated then 1 else 0 end) as contracts_activated,
        sum(case when not is_activated then 1 else 0 end) as contracts_waiting,
        cast(avg(activation_lag_days) as decimal(18, 1)) as average_activation_lag_days,
        max(activation_lag_days) as max_activation_lag_days,
        sum(
            case when activation_lag_days > 30 or days_waiting > 30 then 1 else 0 end
        ) as contracts_over_30_days,
        {% if with_components %}count(activation_lag_days) as contracts_measured,
        sum(activation_lag_days) as total_activation_lag_days,
        {% endif -%}
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from {{ relation }}
    group by {{ dimensions | join(', ') }}
{%- endmacro -%}

{%- macro first_invoice_delay_rollup(relation, dimensions, with_tenant_count=false, with_components=false) -%}
    select
        {% for d in dimensions %}{{ d }},
        {% endfor -%}
        {% if with_tenant_count %}count(distinct tenant_id) as tenant_count,
        {% endif -%}
        count(*) as contracts_activated,
        sum(case when is_invoiced then 1 else 0 end) as contracts_invoiced,
        cast(avg(first_invoice_delay_days) as decimal(18, 1)) as average_first_invoice_delay_days,
        max(first_invoice_delay_days) as max_first_invoice_delay_days,
        sum(case when is_delayed then 1 else 0 end) as contracts_delayed,
        sum(case when first_invoice_delay_days < 0 then 1 else 0 end) as contracts_invoiced_before_activation,
        {% if with_components %}count(first_invoice_delay_days) as contracts_measured,
        sum(first_invoice_delay_days) as total_first_invoice_delay_days,
        {% endif -%}
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from {{ relation }}
    group by {{ dimensions | join(', ') }}
{%- endmacro -%}

{%- macro approvals_rollup(relation, dimensions) -%}
    select
        {% for d in dimensions %}{{ d }},
        {% endfor -%}
        count(*) as requests,
        sum(case when outcome <> 'pending' then 1 else 0 end) as decided_requests,
        sum(case when outcome = 'approved' then 1 else 0 end) as approved_requests,
        sum(case when outcome = 'rejected' then 1 else 0 end) as rejected_requests,
        sum(case when outcome = 'pending' then 1 else 0 end) as pending_requests,
        sum(case when is_escalated then 1 else 0 end) as escalated_requests,
        sum(escalation_count) as escalations,
        sum(case when is_resubmission then 1 else 0 end) as resubmitted_requests,
        sum(case when outcome = 'rejected' or is_escalated then 1 else 0 end) as exception_requests,
        sum(turnaround_hours) as total_turnaround_hours,
        avg(turnaround_hours) as avg_turnaround_hours,
        max(turnaround_hours) as max_turnaround_hours,
        avg(turnaround_days) as avg_turnaround_days,
        cast(sum(case when outcome = 'rejected' then 1 else 0 end) as {{ operations_type_double() }})
            / count(*) as rejection_rate,
        cast(sum(case when is_escalated then 1 else 0 end) as {{ operations_type_double() }})
            / count(*) as escalation_rate,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from {{ relation }}
    group by {{ dimensions | join(', ') }}
{%- endmacro -%}

{%- macro margin_rollup(relation, dimensions) -%}
    select
        {% for d in dimensions %}{{ d }},
        {% endfor -%}
        count(*) as customers,
        sum(net_revenue_reporting) as net_revenue_reporting,
        sum(device_cost_reporting) as device_cost_reporting,
        sum(partner_commission_reporting) as partner_commission_reporting,
        sum(pass_through_cost_reporting) as pass_through_cost_reporting,
        sum(direct_cost_reporting) as direct_cost_reporting,
        sum(margin_reporting) as margin_reporting,
        case when sum(net_revenue_reporting) = 0 then null
            else cast(sum(margin_reporting) as {{ operations_type_double() }}) / sum(net_revenue_reporting)
        end as margin_pct,
        sum(net_revenue_group) as net_revenue_group,
        sum(direct_cost_group) as direct_cost_group,
        sum(margin_group) as margin_group,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from {{ relation }}
    group by {{ dimensions | join(', ') }}
{%- endmacro -%}
