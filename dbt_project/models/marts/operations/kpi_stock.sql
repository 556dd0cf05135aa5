{#-
    Stock on hand and stockouts per tenant, item and month end (the as-of date for the
    current month). Committed not deployed = units of deployments committed on or before the
    date and not deployed by then (cancelled deployments excluded). A stockout is committed
    not deployed > stock on hand; shortfall is the difference.
    _batch_ids: the position's (fct_stock_positions) and the load batches of the open commitments.
-#}
with

positions as (

    select * from {{ ref('fct_stock_positions') }}

),

stg_procurement__device_deployments as (

    select * from {{ ref('stg_procurement__device_deployments') }}

),

deployments as (

    select
        tenant_id,
        item_id,
        quantity,
        committed_date,
        deployed_date,
        _batch_id
    from stg_procurement__device_deployments
    where status <> 'cancelled'

),

committed as (

    select
        positions.tenant_id,
        positions.item_id,
        positions.month_start,
        sum(deployments.quantity) as committed_not_deployed_quantity,
        count(*) as open_commitments,
        {{ batch_ids_agg('deployments._batch_id') }} as _batch_ids
    from positions
    inner join deployments
        on positions.tenant_id = deployments.tenant_id
            and positions.item_id = deployments.item_id
            and positions.position_date >= deployments.committed_date
            and (
                deployments.deployed_date is null
                or positions.position_date < deployments.deployed_date
            )
    group by 1, 2, 3

),

final as (

    select
        positions.tenant_id,
        positions.item_id,
        positions.item_name,
        positions.month_start,
        positions.position_date,
        positions.closing_quantity as stock_on_hand,
        positions.reorder_point,
        positions.is_at_or_below_reorder_point,
        coalesce(committed.open_commitments, 0) as open_commitments,
        coalesce(committed.committed_not_deployed_quantity, 0) as committed_not_deployed_quantity,
        positions.closing_quantity
        - coalesce(committed.committed_not_deployed_quantity, 0) as available_quantity,
        coalesce(
            coalesce(committed.committed_not_deployed_quantity, 0) > positions.closing_quantity,
            false
        ) as is_stockout,
        case when coalesce(committed.committed_not_deployed_quantity, 0)
                > positions.closing_quantity
                then coalesce(committed.committed_not_deployed_quantity, 0)
                    - positions.closing_quantity
            else 0
        end as shortfall_quantity,
        {{ batch_ids_concat(['positions._batch_ids', 'committed._batch_ids']) }} as _batch_ids
    from positions
    left join committed
        on positions.tenant_id = committed.tenant_id
            and positions.item_id = committed.item_id
            and positions.month_start = committed.month_start

)

select * from final
