with

source as (

    select * from {{ source('raw', 'subscription_line_items') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'line_item_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'line_item_id']) }} as subscription_line_item_key,
        {{ generate_foreign_key(['tenant_id', 'contract_id']) }} as contract_key,
        {{ generate_foreign_key(['tenant_id', 'customer_id']) }} as customer_key,
        {{ generate_foreign_key(['tenant_id', 'product_id']) }} as product_key,
        {{ generate_foreign_key(['tenant_id', 'price_id']) }} as price_book_entry_key,
        {{ generate_foreign_key(['tenant_id', 'amendment_id']) }} as contract_amendment_key,

        ---------- ids
        tenant_id,
        line_item_id,
        contract_id,
        customer_id,
        product_id,
        price_id,
        amendment_id,
        bundle_id,

        ---------- strings
        billing_model,
        billing_period,
        currency,

        ---------- numerics
        quantity,
        unit_price,
        discount_pct,

        ---------- dates
        start_date,
        end_date,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
