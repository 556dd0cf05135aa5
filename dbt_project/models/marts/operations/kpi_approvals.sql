{#-
    Approval turnaround and exceptions per tenant, workflow and month of submission:
    requests, decided / approved / rejected / pending requests, escalated requests and
    resubmissions, and the turnaround (submitted -> final decision) of decided requests in
    hours: total, average and maximum.
-#}
with

requests as (

    select * from {{ ref('fct_approvals') }}

),

final as (

    select
        tenant_id,
        workflow,
        submitted_month,
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
    from requests
    group by 1, 2, 3

)

select * from final
