{#-
    One row per approval request (the events sharing a request_id), events on or before the
    as-of date only. submitted_at = first submission; decided_at = the last approval or
    rejection (the final decision); outcome = that decision, 'pending' while undecided.
    Turnaround = submitted -> decided. A request is a resubmission when an earlier request
    of the same workflow exists for the same object.
    _batch_ids: the load batches of the request's events.
-#}
with

events as (

    select * from {{ ref('stg_finance__approval_events') }}
    where occurred_at
        < cast({{ dbt.dateadd('day', 1, as_of_date()) }} as {{ dbt.type_timestamp() }})

),

decisions as (

    select
        tenant_id,
        request_id,
        action as outcome,
        occurred_at as decided_at,
        actor as decided_by,
        row_number() over (
            partition by tenant_id, request_id
            order by occurred_at desc, step desc
        ) as recency
    from events
    where action in ('approved', 'rejected')

),

requests as (

    select
        tenant_id,
        request_id,
        min(workflow) as workflow,
        min(object_id) as object_id,
        min(case when action = 'submitted' then occurred_at end) as submitted_at,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at,
        count(*) as step_count,
        sum(case when action = 'escalated' then 1 else 0 end) as escalation_count,
        sum(case when action = 'rejected' then 1 else 0 end) as rejection_count,
        max(amount) as amount,
        max(currency) as currency,
        {{ batch_ids_agg('_batch_id') }} as _batch_ids
    from events
    group by 1, 2

),

joined as (

    select
        {{ generate_surrogate_key(['requests.tenant_id', 'requests.request_id']) }}
            as approval_request_key,
        requests.tenant_id,
        requests.request_id,
        requests.workflow,
        requests.object_id,
        coalesce(requests.submitted_at, requests.first_event_at) as submitted_at,
        decisions.decided_at,
        decisions.decided_by,
        coalesce(decisions.outcome, 'pending') as outcome,
        requests.step_count,
        requests.escalation_count,
        requests.rejection_count,
        coalesce(requests.escalation_count > 0, false) as is_escalated,
        requests.amount,
        requests.currency,
        requests._batch_ids
    from requests
    left join decisions
        on requests.tenant_id = decisions.tenant_id
            and requests.request_id = decisions.request_id
            and decisions.recency = 1

),

final as (

    select
        approval_request_key,
        tenant_id,
        request_id,
        workflow,
        object_id,
        submitted_at,
        cast({{ dbt.date_trunc('month', 'submitted_at') }} as date) as submitted_month,
        decided_at,
        decided_by,
        outcome,
        step_count,
        escalation_count,
        rejection_count,
        is_escalated,
        coalesce(count(*)
            over (
                partition by tenant_id, workflow, object_id
                order by submitted_at, request_id
                rows between unbounded preceding and current row
            )
        > 1, false) as is_resubmission,
        cast(
            {{ dbt.datediff(
                'submitted_at', 'decided_at', 'second') }} as {{ operations_type_double(
            ) }}
        )
        / 3600
            as turnaround_hours,
        cast(
            {{ dbt.datediff(
                'submitted_at', 'decided_at', 'second') }} as {{ operations_type_double(
            ) }}
        )
        / 86400
            as turnaround_days,
        amount,
        currency,
        _batch_ids
    from joined

)

select * from final
