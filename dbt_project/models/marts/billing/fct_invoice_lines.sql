{#-
    One row per invoice line with its invoice header.

    Incremental, strategy `merge` on invoice_line_key: each run takes the lines whose own row
    or whose invoice header was (re)loaded after the newest `_loaded_at` already in the table
    minus a lookback (var billing_lookback_hours, default 72), and upserts them. A full refresh
    gives the same table: every column comes from the line and its header only.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='invoice_line_key',
        on_schema_change='fail',
    )
}}

with

invoice_lines as (

    select * from {{ ref('stg_billing__invoice_lines') }}

),

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

{% if is_incremental() %}
    cutoff as (

        {{ billing_loaded_after(this) }}

    ),
{% endif %}

joined as (

    select
        invoice_lines.invoice_line_key,
        invoice_lines.invoice_key,
        invoice_lines.subscription_line_item_key,
        invoice_lines.product_key,
        invoices.customer_key,
        invoices.contract_key,
        invoice_lines.tenant_id,
        invoice_lines.invoice_line_id,
        invoice_lines.invoice_id,
        invoices.invoice_number,
        invoice_lines.line_item_id,
        invoice_lines.product_id,
        invoices.customer_id,
        invoices.contract_id,
        invoice_lines.line_type,
        invoice_lines.description,
        invoices.currency,
        invoices.status as invoice_status,
        coalesce(invoices.status = 'void', false) as is_void,
        coalesce(invoice_lines.line_item_id is null, false) as is_ad_hoc,
        invoice_lines.quantity,
        invoice_lines.unit_price,
        invoice_lines.amount,
        invoice_lines.period_start,
        invoice_lines.period_end,
        invoices.invoice_date,
        invoices.due_date,
        cast({{ dbt.date_trunc('month', 'invoices.invoice_date') }} as date) as invoice_month,
        case
            when invoices._loaded_at is null or invoice_lines._loaded_at >= invoices._loaded_at
                then invoice_lines._loaded_at
            else invoices._loaded_at
        end as _loaded_at
    from invoice_lines
    left join invoices
        on invoice_lines.invoice_key = invoices.invoice_key
    {% if is_incremental() %}
        cross join cutoff
        where invoice_lines._loaded_at > cutoff.loaded_after
            or invoices._loaded_at > cutoff.loaded_after
    {% endif %}

),

final as (

    select * from joined

)

select * from final
