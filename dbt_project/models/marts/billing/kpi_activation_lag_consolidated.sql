{#-
    Activation lag of all tenants together, per month of signature and contract type (the
    same figures as kpi_activation_lag_monthly, over every tenant's contracts).
-#}
with

lags as (

    select * from {{ ref('kpi_activation_lag') }}

),

final as (

    select
        {{ generate_surrogate_key(['aggregated.signed_month', 'aggregated.contract_type']) }} as activation_lag_consolidated_key,
        aggregated.*,
        tenants.tenant_count
    from ({{ activation_lag_rollup('lags', ['signed_month', 'contract_type']) }}) as aggregated
    inner join (
        select signed_month, contract_type, count(distinct tenant_id) as tenant_count
        from lags
        group by signed_month, contract_type
    ) as tenants
        on tenants.signed_month = aggregated.signed_month
        and tenants.contract_type = aggregated.contract_type

)

select * from final
