with

source as (

    select * from {{ source('raw', 'products') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'product_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'product_id']) }} as product_key,

        ---------- ids
        tenant_id,
        product_id,

        ---------- strings
        product_name,
        product_family,
        billing_model,
        unit_of_measure,

        ---------- booleans
        is_device,
        is_active,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
