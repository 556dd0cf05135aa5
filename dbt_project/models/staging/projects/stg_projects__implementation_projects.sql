with

source as (

    select * from {{ source('raw', 'implementation_projects') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'project_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'project_id']) }} as implementation_project_key,
        {{ generate_foreign_key(['tenant_id', 'contract_id']) }} as contract_key,
        {{ generate_foreign_key(['tenant_id', 'customer_id']) }} as customer_key,

        ---------- ids
        tenant_id,
        project_id,
        contract_id,
        customer_id,

        ---------- strings
        project_type,
        status,
        project_manager,

        ---------- dates
        start_date,
        planned_go_live_date,
        actual_go_live_date,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
