{#-
    One row per support ticket with its customer's segment and the response and resolution
    times. Responses and resolutions after the as-of date count as not yet happened.
-#}
with

tickets as (

    select * from {{ ref('stg_support__support_tickets') }}
    where opened_at < cast({{ dbt.dateadd('day', 1, as_of_date()) }} as {{ dbt.type_timestamp() }})

),

stg_crm__customers as (

    select * from {{ ref('stg_crm__customers') }}

),

customers as (

    select
        customer_key,
        segment
    from stg_crm__customers

),

as_of_cut as (

    select
        tickets.*,
        case when tickets.first_response_at
                < cast({{ dbt.dateadd('day', 1, as_of_date()) }} as {{ dbt.type_timestamp() }})
                then tickets.first_response_at
        end as responded_at,
        case when tickets.resolved_at
                < cast({{ dbt.dateadd('day', 1, as_of_date()) }} as {{ dbt.type_timestamp() }})
                then tickets.resolved_at
        end as resolved_by_as_of_at
    from tickets

),

final as (

    select
        as_of_cut.support_ticket_key,
        as_of_cut.customer_key,
        as_of_cut.contract_key,
        as_of_cut.tenant_id,
        as_of_cut.ticket_id,
        as_of_cut.customer_id,
        as_of_cut.contract_id,
        customers.segment,
        as_of_cut.priority,
        as_of_cut.category,
        as_of_cut.status,
        as_of_cut.is_escalated,
        as_of_cut.csat_score,
        as_of_cut.opened_at,
        as_of_cut.responded_at as first_response_at,
        as_of_cut.resolved_by_as_of_at as resolved_at,
        cast({{ dbt.date_trunc('month', 'as_of_cut.opened_at') }} as date) as opened_month,
        coalesce(as_of_cut.resolved_by_as_of_at is null, false) as is_open,
        {{ dbt.datediff('as_of_cut.opened_at', 'as_of_cut.responded_at', 'minute') }}
            as first_response_minutes,
        cast(
            {{ dbt.datediff(
                'as_of_cut.opened_at', 'as_of_cut.resolved_by_as_of_at',
                'minute') }} as {{ operations_type_double(
            ) }}
        )
        / 60 as resolution_hours
    from as_of_cut
    left join customers
        on as_of_cut.customer_key = customers.customer_key

)

select * from final
