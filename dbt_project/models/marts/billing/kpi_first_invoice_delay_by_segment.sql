{#-
    Days from service activation to the first invoice per tenant, customer segment and month
    of activation, rolled up from kpi_first_invoice_delay by the rules of
    kpi_first_invoice_delay_monthly (macros/kpi_rollups.sql), with the additive parts of the
    average: contracts measured (invoiced) and their total days. A selection of tenants and
    segments averages as sum(total_first_invoice_delay_days) / sum(contracts_measured).
-#}
with

kpi_first_invoice_delay as (

    select * from {{ ref('kpi_first_invoice_delay') }}

),

dim_customer as (

    select * from {{ ref('dim_customer') }}

),

contracts as (

    select
        kpi_first_invoice_delay.*,
        dim_customer.segment
    from kpi_first_invoice_delay
    inner join dim_customer
        on kpi_first_invoice_delay.tenant_id = dim_customer.tenant_id
            and kpi_first_invoice_delay.customer_id = dim_customer.customer_id

),

rolled_up as (

    {{ first_invoice_delay_rollup(
        'contracts', ['tenant_id', 'segment', 'activated_month'], with_components=true,
    ) }}

),

final as (

    select
        {{ generate_surrogate_key(['tenant_id', 'segment', 'activated_month']) }}
            as first_invoice_delay_segment_month_key,
        *
    from rolled_up

)

select * from final
