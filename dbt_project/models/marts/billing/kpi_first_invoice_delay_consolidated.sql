{#-
    First-invoice delay of all tenants together, per month of activation and contract type
    (the same figures as kpi_first_invoice_delay_monthly, over every tenant's contracts).
-#}
with

delays as (

    select * from {{ ref('kpi_first_invoice_delay') }}

),

final as (

    select
        {{ generate_surrogate_key(['aggregated.activated_month', 'aggregated.contract_type']) }}
            as first_invoice_delay_consolidated_key,
        aggregated.*
    from
        (
            {{ first_invoice_delay_rollup(
                'delays', ['activated_month', 'contract_type'], with_tenant_count=true
            ) }}
        ) as aggregated

)

select * from final
