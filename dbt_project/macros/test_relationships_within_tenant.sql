{#-
    Tenant-scoped foreign key: every non-null (tenant_id, column) of the model must exist as
    (tenant_id, field) in `to`. Identifiers repeat across tenants, so the plain relationships
    test would accept a row pointing at another tenant's record; this one does not.
-#}

{% test relationships_within_tenant(model, column_name, to, field, tenant_column='tenant_id') %}

with child as (

    select
        {{ tenant_column }} as tenant_value,
        {{ column_name }} as from_field

    from {{ model }}
    where {{ column_name }} is not null

),

parent as (

    select distinct
        {{ tenant_column }} as tenant_value,
        {{ field }} as to_field

    from {{ to }}

),

orphans as (

    select
        child.tenant_value,
        child.from_field

    from child
    left join parent
        on child.tenant_value = parent.tenant_value
        and child.from_field = parent.to_field
    where parent.to_field is null

)

select * from orphans

{% endtest %}
