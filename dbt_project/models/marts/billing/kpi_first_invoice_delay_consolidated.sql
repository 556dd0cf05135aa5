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
        {{ generate_surrogate_key(['aggregated.activated_month', 'aggregated.contract_type']) }} as first_invoice_delay_consolidated_key,
        aggregated.*,
        tenants.tenant_count
    from ({{ first_invoice_delay_rollup('delays', ['activated_month', 'contract_type']) }}) as aggregated
    inner join (
        select activated_month, contract_type, count(distinct tenant_id) as tenant_count
        from delays
        group by activated_month, contract_type
    ) as tenants
        on tenants.activated_month = aggregated.activated_month
        and tenants.contract_type = aggregated.contract_type

)

select * from final
