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
        {{ generate_surrogate_key(['tenant_id', 'signed_month', 'contract_type']) }} as activation_lag_monthly_key,
        tenant_id,
        signed_month,
        contract_type,
        count(*) as contracts_signed,
        sum(case when is_activated then 1 else 0 end) as contracts_activated,
        sum(case when not is_activated then 1 else 0 end) as contracts_waiting,
        cast(avg(activation_lag_days) as decimal(18, 1)) as average_activation_lag_days,
        max(activation_lag_days) as max_activation_lag_days,
        sum(
            case when activation_lag_days > 30 or days_waiting > 30 then 1 else 0 end
        ) as contracts_over_30_days
    from lags
    group by tenant_id, signed_month, contract_type

)

select * from final
