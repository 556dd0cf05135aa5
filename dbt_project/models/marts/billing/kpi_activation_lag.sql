{#-
    Contract activation lag, one row per contract signed by the as-of date: days from signature
    to service activation. Contracts not activated by the as-of date have no lag yet; their
    days_waiting counts the days since signature. Renewals activate when the previous term
    ends, so their lag mostly reflects how early they were signed (see contract_type).
    _batch_ids: the load batch of the contract.
-#}
with

contracts as (

    select * from {{ ref('stg_crm__contracts') }}
    where signed_date <= {{ as_of_date() }}

),

final as (

    select
        contract_key,
        customer_key,
        tenant_id,
        contract_id,
        customer_id,
        contract_type,
        signed_date,
        cast({{ dbt.date_trunc('month', 'signed_date') }} as date) as signed_month,
        case
            when service_activated_date <= {{ as_of_date() }} then service_activated_date
        end as service_activated_date,
        case
            when service_activated_date <= {{ as_of_date() }} then true else false
        end as is_activated,
        case
            when service_activated_date <= {{ as_of_date() }}
                then {{ dbt.datediff('signed_date', 'service_activated_date', 'day') }}
        end as activation_lag_days,
        case
            when service_activated_date is null or service_activated_date > {{ as_of_date() }}
                then {{ dbt.datediff('signed_date', as_of_date(), 'day') }}
        end as days_waiting,
        _batch_id as _batch_ids
    from contracts

)

select * from final
