{#-
    The worklist of devices deployed but not (yet) billing: one row per deployment deployed
    on or before the as-of date with no billing line item, or whose line item starts after
    the deployment date. is_not_billing_as_of tells whether billing has still not started
    at the as-of date; unbilled_days is the gap (deployment -> billing start, or -> as-of).
-#}
with

deployments as (

    select * from {{ ref('fct_device_deployments') }}
    where is_not_billing

),

final as (

    select
        tenant_id,
        deployment_id,
        customer_id,
        segment,
        contract_id,
        project_id,
        item_id,
        item_name,
        line_item_id,
        status,
        quantity,
        committed_date,
        deployed_date,
        cast({{ dbt.date_trunc('month', 'deployed_date') }} as date) as deployed_month,
        billing_start_date,
        not_billing_reason,
        is_not_billing_as_of,
        unbilled_days,
        quantity * unbilled_days as unbilled_device_days,
        _batch_ids
    from deployments

)

select * from final
