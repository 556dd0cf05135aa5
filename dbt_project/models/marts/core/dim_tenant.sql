{#-
    One row per tenant (operating company, business unit or white-label partner): the root
    of every other dimension, with the currency it reports in and the group currency its
    figures are consolidated into.
-#}
with

tenants as (

    select * from {{ ref('stg_finance__tenants') }}

),

final as (

    select
        tenant_key,
        tenant_id,
        tenant_name,
        tenant_type,
        reporting_currency,
        '{{ var("group_currency") }}' as group_currency,
        country_code,
        fiscal_year_start_month,
        created_at,
        _batch_id,
        _loaded_at
    from tenants

)

select * from final
