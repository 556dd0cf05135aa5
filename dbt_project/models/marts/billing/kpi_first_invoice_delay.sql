{#-
    Delayed first invoice, one row per contract activated by the as-of date: days from service
    activation to the contract's first (non-void) invoice. Negative when the contract was
    invoiced before it was activated. Contracts not invoiced yet count days_waiting since
    activation. is_delayed: first invoice (or still waiting) more than
    var billing_first_invoice_delay_days (default 45) days after activation — recurring fees
    start on the first of the month after activation, so up to ~34 days is normal.
    _batch_ids: the load batches of the contract and of its invoices the first is taken from.
-#}
with

contracts as (

    select * from {{ ref('stg_crm__contracts') }}
    where service_activated_date <= {{ as_of_date() }}

),

stg_billing__invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

first_invoices as (

    select
        tenant_id,
        contract_id,
        min(invoice_date) as first_invoice_date,
        {{ batch_ids_agg('_batch_id') }} as _batch_ids
    from stg_billing__invoices
    where contract_id is not null
        and status <> 'void'
        and invoice_date <= {{ as_of_date() }}
    group by tenant_id, contract_id

),

joined as (

    select
        contracts.contract_key,
        contracts.customer_key,
        contracts.tenant_id,
        contracts.contract_id,
        contracts.customer_id,
        contracts.contract_type,
        contracts.signed_date,
        contracts.service_activated_date,
        cast({{ dbt.date_trunc('month', 'contracts.service_activated_date') }} as date)
            as activated_month,
        first_invoices.first_invoice_date,
        coalesce(first_invoices.first_invoice_date is not null, false)
            as is_invoiced,
        case
            when first_invoices.first_invoice_date is not null
                then {{ dbt.datediff(
                    'contracts.service_activated_date', 'first_invoices.first_invoice_date', 'day'
                ) }}
        end as first_invoice_delay_days,
        case
            when first_invoices.first_invoice_date is null
                then {{ dbt.datediff('contracts.service_activated_date', as_of_date(), 'day') }}
        end as days_waiting,
        {{ batch_ids_concat(['contracts._batch_id', 'first_invoices._batch_ids']) }} as _batch_ids
    from contracts
    left join first_invoices
        on contracts.tenant_id = first_invoices.tenant_id
            and contracts.contract_id = first_invoices.contract_id

),

final as (

    select
        *,
        case
            when first_invoice_delay_days > {{ var('billing_first_invoice_delay_days', 45) }}
                or days_waiting > {{ var('billing_first_invoice_delay_days', 45) }}
                then true
            else false
        end as is_delayed
    from joined

)

select * from final
