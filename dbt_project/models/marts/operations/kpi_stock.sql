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

deployments as (

    select
        tenant_id,
        item_id,
        quantity,
        committed_date,
        deployed_date,
        _batch_id
    from {{ ref('stg_procurement__device_deployments') }}
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
        on deployments.tenant_id = positions.tenant_id
        and deployments.item_id = positions.item_id
        and deployments.committed_date <= positions.position_date
        and (deployments.deployed_date is null or deployments.deployed_date > positions.position_date)
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
        positions.closing_quantity - coalesce(committed.committed_not_deployed_quantity, 0) as available_quantity,
        case when coalesce(committed.committed_not_deployed_quantity, 0) > positions.closing_quantity
            then true else false end as is_stockout,
        case when coalesce(committed.committed_not_deployed_quantity, 0) > positions.closing_quantity
            then coalesce(committed.committed_not_deployed_quantity, 0) - positions.closing_quantity
            else 0 end as shortfall_quantity,
        {{ batch_ids_concat(['positions._batch_ids', 'committed._batch_ids']) }} as _batch_ids
    from positions
    left join committed
        on committed.tenant_id = positions.tenant_id
        and committed.item_id = positions.item_id
        and committed.month_start = positions.month_start

)

select * from final
