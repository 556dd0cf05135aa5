with

source as (

    select * from {{ source('raw', 'milestones') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'milestone_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'milestone_id']) }} as milestone_key,
        {{ generate_foreign_key(['tenant_id', 'project_id']) }} as implementation_project_key,
        {{ generate_foreign_key(['tenant_id', 'line_item_id']) }} as subscription_line_item_key,

        ---------- ids
        tenant_id,
        milestone_id,
        project_id,
        line_item_id,

        ---------- strings
        milestone_name,
        status,
        currency,

        ---------- numerics
        sequence,
        amount,

        ---------- booleans
        is_billable,

        ---------- dates
        planned_date,
        completed_date,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
