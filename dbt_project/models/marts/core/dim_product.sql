{#-
    One row per product of a tenant's billing catalogue; is_recurring marks the products
    whose lines count as MRR.
-#}
with

products as (

    select * from {{ ref('stg_billing__products') }}

),

final as (

    select
        product_key,
        tenant_id,
        product_id,
        product_name,
        product_family,
        billing_model,
        coalesce(billing_model = 'recurring', false) as is_recurring,
        unit_of_measure,
        is_device,
        is_active,
        _batch_id,
        _loaded_at
    from products

)

select * from final
