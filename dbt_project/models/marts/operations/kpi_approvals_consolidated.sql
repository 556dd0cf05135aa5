{#-
    Approval turnaround and exceptions of all tenants together, per workflow and month of
    submission (the same figures as kpi_approvals over every tenant's requests); tenant_id is
    'ALL'.
-#}
with

requests as (

    select * from {{ ref('fct_approvals') }}

),

final as (

    select
        'ALL' as tenant_id,
        aggregated.*
    from ({{ approvals_rollup('requests', ['workflow', 'submitted_month']) }}) as aggregated

)

select * from final
