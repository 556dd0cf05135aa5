{#-
    One row per supplier of devices, components, logistics or services.
-#}
with

vendors as (

    select * from {{ ref('stg_procurement__vendors') }}

),

final as (

    select
        vendor_key,
        tenant_id,
        vendor_id,
        vendor_name,
        category,
        country_code,
        currency,
        payment_terms_days,
        _batch_id,
        _loaded_at
    from vendors

)

select * from final
