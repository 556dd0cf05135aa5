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
        {{ generate_surrogate_key(['tenant_id', 'activated_month', 'contract_type']) }} as first_invoice_delay_monthly_key,
        tenant_id,
        activated_month,
        contract_type,
        count(*) as contracts_activated,
        sum(case when is_invoiced then 1 else 0 end) as contracts_invoiced,
        cast(avg(first_invoice_delay_days) as decimal(18, 1)) as average_first_invoice_delay_days,
        max(first_invoice_delay_days) as max_first_invoice_delay_days,
        sum(case when is_delayed then 1 else 0 end) as contracts_delayed,
        sum(case when first_invoice_delay_days < 0 then 1 else 0 end) as contracts_invoiced_before_activation
    from delays
    group by tenant_id, activated_month, contract_type

)

select * from final
