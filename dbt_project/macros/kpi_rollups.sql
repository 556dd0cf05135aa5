{#-
    The aggregations of KPI marts that exist per tenant and consolidated (all tenants):
    one macro per KPI, the grouping columns passed in, so both grains compute each figure the
    same way. `dimensions` are column names of the relation; they are selected and grouped by.
-#}

{%- macro activation_lag_rollup(relation, dimensions) -%}
    select
        {% for d in dimensions %}{{ d }},
        {% endfor -%}
        count(*) as contracts_signed,
        sum(case when is_activated then 1 else 0 end) as contracts_activated,
        sum(case when not is_activated then 1 else 0 end) as contracts_waiting,
        cast(avg(activation_lag_days) as decimal(18, 1)) as average_activation_lag_days,
        max(activation_lag_days) as max_activation_lag_days,
        sum(
            case when activation_lag_days > 30 or days_waiting > 30 then 1 else 0 end
        ) as contracts_over_30_days
    from {{ relation }}
    group by {{ dimensions | join(', ') }}
{%- endmacro -%}

{%- macro first_invoice_delay_rollup(relation, dimensions) -%}
    select
        {% for d in dimensions %}{{ d }},
        {% endfor -%}
        count(*) as contracts_activated,
        sum(case when is_invoiced then 1 else 0 end) as contracts_invoiced,
        cast(avg(first_invoice_delay_days) as decimal(18, 1)) as average_first_invoice_delay_days,
        max(first_invoice_delay_days) as max_first_invoice_delay_days,
        sum(case when is_delayed then 1 else 0 end) as contracts_delayed,
        sum(case when first_invoice_delay_days < 0 then 1 else 0 end) as contracts_invoiced_before_activation
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
            / count(*) as escalation_rate
    from {{ relation }}
    group by {{ dimensions | join(', ') }}
{%- endmacro -%}
