{#-
    Activation lag per tenant, month of signature and contract type: contracts signed, how
    many are activated, the average and longest lag, and how many took (or are waiting) more
    than 30 days.
-#}
with

lags as (

    select * from {{ ref('kpi_activation_lag') }}

),

final as (

    select
        {{ generate_surrogate_key(['tenant_id', 'signed_month', 'contract_type']) }}
            as activation_lag_monthly_key,
        *
    from
        ({{ activation_lag_rollup('lags', ['tenant_id', 'signed_month', 'contract_type']) }}
        ) as aggregated

)

select * from final
