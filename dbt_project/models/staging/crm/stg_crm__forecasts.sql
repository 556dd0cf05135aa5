with

source as (

    select * from {{ source('raw', 'forecasts') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'forecast_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'forecast_id']) }} as forecast_key,

        ---------- ids
        tenant_id,
        forecast_id,

        ---------- strings
        metric,
        segment,
        currency,

        ---------- numerics
        amount,

        ---------- dates
        forecast_month,
        submitted_date,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
