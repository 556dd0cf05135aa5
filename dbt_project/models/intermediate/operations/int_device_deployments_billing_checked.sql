{#-
    One row per device deployment with the line item that should bill it and whether the
    devices are deployed but not billing:
      - no_billing_line_item: deployed with no line item (or one that does not exist);
      - billing_starts_after_deployment: the line item starts after the deployment date.
    unbilled_days = deployment -> start of billing (the as-of date while billing has not
    started). Only deployments on or before the as-of date count as deployed.
    _batch_ids: the load batches of the deployment and of its line item.
-#}
with

deployments as (

    select * from {{ ref('stg_procurement__device_deployments') }}

),

stg_billing__subscription_line_items as (

    select * from {{ ref('stg_billing__subscription_line_items') }}

),

line_items as (

    select
        subscription_line_item_key,
        start_date,
        end_date,
        _batch_id
    from stg_billing__subscription_line_items

),

joined as (

    select
        deployments.device_deployment_key,
        deployments.tenant_id,
        deployments.deployment_id,
        deployments.line_item_id,
        deployments.status,
        deployments.committed_date,
        case when deployments.deployed_date <= {{ as_of_date() }} then deployments.deployed_date end
            as deployed_date,
        line_items.subscription_line_item_key as billing_line_item_key,
        line_items.start_date as billing_start_date,
        line_items.end_date as billing_end_date,
        {{ batch_ids_concat(['deployments._batch_id', 'line_items._batch_id']) }} as _batch_ids
    from deployments
    left join line_items
        on deployments.subscription_line_item_key = line_items.subscription_line_item_key

),

final as (

    select
        device_deployment_key,
        tenant_id,
        deployment_id,
        line_item_id,
        status,
        committed_date,
        deployed_date,
        billing_start_date,
        billing_end_date,
        coalesce(deployed_date is not null, false) as is_deployed,
        case
            when deployed_date is null then null
            when billing_line_item_key is null then 'no_billing_line_item'
            when billing_start_date > deployed_date then 'billing_starts_after_deployment'
        end as not_billing_reason,
        coalesce(
            deployed_date is not null
            and (billing_line_item_key is null or billing_start_date > deployed_date),
            false
        ) as is_not_billing,
        case
            when deployed_date is not null
                and (billing_line_item_key is null or billing_start_date > {{ as_of_date() }})
                then true
            else false
        end as is_not_billing_as_of,
        case
            when deployed_date is null then null
            when billing_line_item_key is null or billing_start_date > {{ as_of_date() }}
                then {{ dbt.datediff('deployed_date', as_of_date(), 'day') }}
            when billing_start_date > deployed_date
                then {{ dbt.datediff('deployed_date', 'billing_start_date', 'day') }}
            else 0
        end as unbilled_days,
        _batch_ids
    from joined

)

select * from final
