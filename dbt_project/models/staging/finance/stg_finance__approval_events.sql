with

source as (

    select * from {{ source('raw', 'approval_events') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'event_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'event_id']) }} as approval_event_key,

        ---------- ids
        tenant_id,
        event_id,
        object_id,
        request_id,

        ---------- strings
        workflow,
        action,
        actor,
        currency,

        ---------- numerics
        step,
        amount,

        ---------- timestamps
        occurred_at,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
