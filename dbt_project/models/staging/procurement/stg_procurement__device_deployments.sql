with

source as (

    select * from {{ source('raw', 'device_deployments') }}

),

deduplicated as (

    {{ deduplicate_latest('source', ['tenant_id', 'deployment_id']) }}

),

renamed as (

    select

        ---------- keys
        {{ generate_surrogate_key(['tenant_id', 'deployment_id']) }} as device_deployment_key,
        {{ generate_foreign_key(['tenant_id', 'item_id']) }} as inventory_item_key,
        {{ generate_foreign_key(['tenant_id', 'customer_id']) }} as customer_key,
        {{ generate_foreign_key(['tenant_id', 'contract_id']) }} as contract_key,
        {{ generate_foreign_key(['tenant_id', 'project_id']) }} as implementation_project_key,
        {{ generate_foreign_key(['tenant_id', 'line_item_id']) }} as subscription_line_item_key,

        ---------- ids
        tenant_id,
        deployment_id,
        item_id,
        customer_id,
        contract_id,
        project_id,
        line_item_id,

        ---------- strings
        status,

        ---------- numerics
        quantity,

        ---------- dates
        committed_date,
        deployed_date,

        ---------- lineage
        _batch_id,
        _source_file,
        _source_row,
        _loaded_at

    from deduplicated

)

select * from renamed
