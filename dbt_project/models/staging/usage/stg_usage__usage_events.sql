with

source as (

    select * from {{ source('raw', 'usage_events') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'event_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'event_id']) }} as usage_event_key,
        {{ generate_foreign_key(['tenant_id', 'line_item_id']) }} as subscription_line_item_key,
        {{ generate_foreign_key(['tenant_id', 'customer_id']) }} as customer_key,

        ---------- ids
        tenant_id,
        event_id,
        line_item_id,
        customer_id,

        ---------- strings
        metric,

        ---------- numerics
        quantity,

        ---------- timestamps
        occurred_at,
        ingested_at,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
