{#-
    Days from signature to service activation per tenant, customer segment and month of
    signature, rolled up from kpi_activation_lag by the rules of kpi_activation_lag_monthly
    (macros/kpi_rollups.sql), with the additive parts of the average: contracts measured
    (activated) and their total days. A selection of tenants and segments averages as
    sum(total_activation_lag_days) / sum(contracts_measured).
-#}
with

kpi_activation_lag as (

    select * from {{ ref('kpi_activation_lag') }}

),

dim_customer as (

    select * from {{ ref('dim_customer') }}

),

contracts as (

    select
        kpi_activation_lag.*,
        dim_customer.segment
    from kpi_activation_lag
    inner join dim_customer
        on kpi_activation_lag.tenant_id = dim_customer.tenant_id
            and kpi_activation_lag.customer_id = dim_customer.customer_id

),

rolled_up as (

    {{ activation_lag_rollup(
        'contracts', ['tenant_id', 'segment', 'signed_month'], with_components=true,
    ) }}

),

final as (

    select
        {{ generate_surrogate_key(['tenant_id', 'segment', 'signed_month']) }}
            as activation_lag_segment_month_key,
        *
    from rolled_up

)

select * from final
