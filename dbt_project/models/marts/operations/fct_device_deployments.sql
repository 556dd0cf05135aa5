{#-
    One row per device deployment: customer, item, the billing check of
    int_device_deployments_billing_checked and the device cost = quantity x unit cost of the
    project's purchase order for the item (the item's standard cost when there is none), in
    the item currency, the tenant's reporting currency and the group currency at the rate of
    the deployment month (the commitment month while not deployed).
    _batch_ids: the load batches of the deployment, its line item and the unit cost's source
    (the project's purchase orders for the item, or the inventory item).
-#}
with

deployments as (

    select * from {{ ref('stg_procurement__device_deployments') }}

),

billing as (

    select * from {{ ref('int_device_deployments_billing_checked') }}

),

stg_procurement__inventory_items as (

    select * from {{ ref('stg_procurement__inventory_items') }}

),

stg_procurement__purchase_orders as (

    select * from {{ ref('stg_procurement__purchase_orders') }}

),

stg_crm__customers as (

    select * from {{ ref('stg_crm__customers') }}

),

stg_finance__tenants as (

    select * from {{ ref('stg_finance__tenants') }}

),

items as (

    select
        inventory_item_key,
        item_name,
        unit_cost,
        currency,
        _batch_id
    from stg_procurement__inventory_items

),

project_orders as (

    select
        tenant_id,
        project_id,
        item_id,
        sum(quantity * unit_cost) / sum(quantity) as unit_cost,
        min(currency) as currency,
        {{ batch_ids_agg('_batch_id') }} as _batch_ids
    from stg_procurement__purchase_orders
    where project_id is not null
        and status <> 'cancelled'
    group by 1, 2, 3

),

customers as (

    select
        customer_key,
        segment,
        partner_id
    from stg_crm__customers

),

tenants as (

    select
        tenant_id,
        reporting_currency
    from stg_finance__tenants

),

joined as (

    select
        deployments.device_deployment_key,
        deployments.inventory_item_key,
        deployments.customer_key,
        deployments.contract_key,
        deployments.implementation_project_key,
        deployments.subscription_line_item_key,
        deployments.tenant_id,
        deployments.deployment_id,
        deployments.item_id,
        items.item_name,
        deployments.customer_id,
        customers.segment,
        customers.partner_id,
        deployments.contract_id,
        deployments.project_id,
        deployments.line_item_id,
        deployments.status,
        deployments.quantity,
        deployments.committed_date,
        billing.deployed_date,
        cast(
            {{ dbt.date_trunc(
                'month', 'coalesce(billing.deployed_date, deployments.committed_date)'
            ) }} as date
        )
            as cost_month,
        billing.is_deployed,
        billing.billing_start_date,
        billing.billing_end_date,
        billing.not_billing_reason,
        billing.is_not_billing,
        billing.is_not_billing_as_of,
        billing.unbilled_days,
        case
            when project_orders.unit_cost is not null then 'purchase_order' else 'standard_cost'
        end
            as unit_cost_source,
        cast(coalesce(project_orders.unit_cost, items.unit_cost) as decimal(18, 4)) as unit_cost,
        coalesce(project_orders.currency, items.currency) as currency,
        tenants.reporting_currency,
        {{ batch_ids_concat([
            'billing._batch_ids',
            'case when project_orders.unit_cost is not null then project_orders._batch_ids else items._batch_id end',
        ]) }} as _batch_ids
    from deployments
    inner join billing
        on deployments.device_deployment_key = billing.device_deployment_key
    left join items
        on deployments.inventory_item_key = items.inventory_item_key
    left join project_orders
        on deployments.tenant_id = project_orders.tenant_id
            and deployments.project_id = project_orders.project_id
            and deployments.item_id = project_orders.item_id
    left join customers
        on deployments.customer_key = customers.customer_key
    left join tenants
        on deployments.tenant_id = tenants.tenant_id

),

final as (

    select
        joined.*,
        cast(round(joined.quantity * joined.unit_cost, 2) as decimal(18, 2)) as device_cost,
        {{ fx_convert_amount('round(joined.quantity * joined.unit_cost, 2)', 'to_reporting.rate') }}
            as device_cost_reporting,
        {{ fx_convert_amount('round(joined.quantity * joined.unit_cost, 2)', 'to_group.rate') }}
            as device_cost_group
    from joined
    {{ fx_join_rate(
        'to_reporting', 'joined.tenant_id', 'joined.cost_month', 'joined.currency',
        'joined.reporting_currency', cap_at_as_of_month=true
    ) }}
    {{ fx_join_rate(
        'to_group', 'joined.tenant_id', 'joined.cost_month', 'joined.currency',
        "'" ~ var('group_currency') ~ "'", cap_at_as_of_month=true
    ) }}

)

select * from final
