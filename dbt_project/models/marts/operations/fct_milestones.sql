{#-
    One row per project milestone, with its project and the slippage measures as of the
    reporting date. A milestone completed after the as-of date counts as still open.
    _batch_ids: the load batches of the milestone and of its project.
-#}
with

milestones as (

    select * from {{ ref('stg_projects__milestones') }}

),

projects as (

    select * from {{ ref('stg_projects__implementation_projects') }}

),

joined as (

    select
        milestones.milestone_key,
        milestones.implementation_project_key,
        milestones.tenant_id,
        milestones.milestone_id,
        milestones.project_id,
        projects.contract_id,
        projects.customer_id,
        projects.project_type,
        milestones.milestone_name,
        milestones.sequence,
        milestones.status,
        milestones.is_billable,
        milestones.amount,
        milestones.currency,
        milestones.planned_date,
        case when milestones.completed_date <= {{ as_of_date() }}
                then milestones.completed_date
        end as completed_date,
        {{ batch_ids_concat(['milestones._batch_id', 'projects._batch_id']) }} as _batch_ids
    from milestones
    inner join projects
        on milestones.implementation_project_key = projects.implementation_project_key

),

final as (

    select
        *,
        coalesce(completed_date is not null, false) as is_completed,
        case when completed_date is not null
                then {{ dbt.datediff('planned_date', 'completed_date', 'day') }}
        end as slippage_days,
        coalesce(completed_date > planned_date, false) as is_completed_late,
        case
            when completed_date is null
                and status <> 'cancelled'
                and planned_date < {{ as_of_date() }}
                then true
            else false
        end as is_slipping,
        case
            when completed_date is null
                and status <> 'cancelled'
                and planned_date < {{ as_of_date() }}
                then {{ dbt.datediff('planned_date', as_of_date(), 'day') }}
            else 0
        end as days_overdue
    from joined

)

select * from final
