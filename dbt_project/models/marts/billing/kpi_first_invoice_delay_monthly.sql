{#-
    First-invoice delay per tenant, month of activation and contract type: contracts
    activated, invoiced, average / longest delay, delayed ones and ones invoiced before
    activation.
-#}
with

delays as (

    select * from {{ ref('kpi_first_invoice_delay') }}

),

final as (

    select
        {{ generate_surrogate_key(['tenant_id', 'activated_month', 'contract_type']) }}
            as first_invoice_delay_monthly_key,
        *
    from
        (
            {{ first_invoice_delay_rollup(
                'delays', ['tenant_id', 'activated_month', 'contract_type']
            ) }}
        ) as aggregated

)

select * from final
