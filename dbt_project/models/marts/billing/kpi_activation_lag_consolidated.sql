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
        {{ generate_surrogate_key(['aggregated.signed_month', 'aggregated.contract_type']) }}
            as activation_lag_consolidated_key,
        aggregated.*
    from
        (
            {{ activation_lag_rollup(
                'lags', ['signed_month', 'contract_type'], with_tenant_count=true
            ) }}
        ) as aggregated

)

select * from final
