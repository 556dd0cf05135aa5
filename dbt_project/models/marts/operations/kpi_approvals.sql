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

    {{ approvals_rollup('requests', ['tenant_id', 'workflow', 'submitted_month']) }}

)

select * from final
