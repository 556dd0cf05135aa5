{#-
    Implementation delivery per tenant and month (from the tenant's first project start to
    the as-of month).
    Cycle time = project start -> actual go-live (days), for projects that went live in the
    month. Go-live slip = actual - planned go-live (days). Milestone slippage = completed -
    planned date (days) for milestones completed in the month. Slipping milestones = still
    open (not completed, not cancelled) past their planned date at the month end (the as-of
    date for the current month).
    _batch_ids: the load batches of the projects and milestones counted in the month (started,
    live, in flight, completed, slipping); a month where none counts rests on the tenant's
    first projects, which open its months.
-#}
with

milestones as (

    select * from {{ ref('fct_milestones') }}
    where status <> 'cancelled'

),

stg_projects__implementation_projects as (

    select * from {{ ref('stg_projects__implementation_projects') }}

),

dim_date as (

    select * from {{ ref('dim_date') }}

),

projects as (

    select
        tenant_id,
        project_id,
        start_date,
        planned_go_live_date,
        case when actual_go_live_date <= {{ as_of_date() }} then actual_go_live_date end
            as actual_go_live_date,
        _batch_id
    from stg_projects__implementation_projects
    where status <> 'cancelled'

),

months as (

    select distinct
        month_start,
        least(
            cast({{ dbt.last_day('month_start', 'month') }} as date), {{ as_of_date() }}
        ) as measured_on
    from dim_date
    where month_start <= {{ as_of_date() }}

),

tenant_starts as (

    select
        tenant_id,
        min(start_date) as first_start_date
    from projects
    group by 1

),

tenant_months as (

    select
        tenant_starts.tenant_id,
        months.month_start,
        months.measured_on
    from tenant_starts
    inner join months
        on tenant_starts.first_start_date <= months.measured_on

),

first_projects as (

    select
        projects.tenant_id,
        {{ batch_ids_agg('projects._batch_id') }} as _batch_ids
    from projects
    inner join tenant_starts
        on projects.tenant_id = tenant_starts.tenant_id
            and projects.start_date = tenant_starts.first_start_date
    group by 1

),

projects_started as (

    select
        tenant_id,
        cast({{ dbt.date_trunc('month', 'start_date') }} as date) as month_start,
        count(*) as projects_started,
        {{ batch_ids_agg('_batch_id') }} as _batch_ids
    from projects
    group by 1, 2

),

projects_live as (

    select
        tenant_id,
        cast({{ dbt.date_trunc('month', 'actual_go_live_date') }} as date) as month_start,
        count(*) as projects_went_live,
        sum({{ dbt.datediff('start_date', 'actual_go_live_date', 'day') }})
            as total_cycle_time_days,
        sum({{ dbt.datediff('start_date', 'planned_go_live_date', 'day') }})
            as total_planned_cycle_time_days,
        sum({{ dbt.datediff('planned_go_live_date', 'actual_go_live_date', 'day') }})
            as total_go_live_slip_days,
        sum(case when actual_go_live_date > planned_go_live_date then 1 else 0 end)
            as projects_live_late,
        {{ batch_ids_agg('_batch_id') }} as _batch_ids
    from projects
    where actual_go_live_date is not null
    group by 1, 2

),

projects_in_flight as (

    select
        tenant_months.tenant_id,
        tenant_months.month_start,
        count(*) as projects_in_flight,
        {{ batch_ids_agg('projects._batch_id') }} as _batch_ids
    from tenant_months
    inner join projects
        on tenant_months.tenant_id = projects.tenant_id
            and tenant_months.measured_on >= projects.start_date
            and (
                projects.actual_go_live_date is null
                or tenant_months.measured_on < projects.actual_go_live_date
            )
    group by 1, 2

),

milestones_completed as (

    select
        tenant_id,
        cast({{ dbt.date_trunc('month', 'completed_date') }} as date) as month_start,
        count(*) as milestones_completed,
        sum(slippage_days) as total_milestone_slippage_days,
        sum(case when is_completed_late then 1 else 0 end) as milestones_completed_late,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from milestones
    where completed_date is not null
    group by 1, 2

),

milestones_slipping as (

    select
        tenant_months.tenant_id,
        tenant_months.month_start,
        count(*) as milestones_slipping,
        {{ batch_ids_agg('milestones._batch_ids') }} as _batch_ids
    from tenant_months
    inner join milestones
        on tenant_months.tenant_id = milestones.tenant_id
            and tenant_months.measured_on > milestones.planned_date
            and (
                milestones.completed_date is null
                or tenant_months.measured_on < milestones.completed_date
            )
    group by 1, 2

),

final as (

    select
        tenant_months.tenant_id,
        tenant_months.month_start,
        tenant_months.measured_on,
        coalesce(projects_started.projects_started, 0) as projects_started,
        coalesce(projects_live.projects_went_live, 0) as projects_went_live,
        coalesce(projects_live.projects_live_late, 0) as projects_live_late,
        coalesce(projects_in_flight.projects_in_flight, 0) as projects_in_flight,
        coalesce(projects_live.total_cycle_time_days, 0) as total_cycle_time_days,
        cast(projects_live.total_cycle_time_days as {{ operations_type_double() }})
        / projects_live.projects_went_live as avg_cycle_time_days,
        coalesce(projects_live.total_planned_cycle_time_days, 0) as total_planned_cycle_time_days,
        cast(projects_live.total_planned_cycle_time_days as {{ operations_type_double() }})
        / projects_live.projects_went_live as avg_planned_cycle_time_days,
        coalesce(projects_live.total_go_live_slip_days, 0) as total_go_live_slip_days,
        cast(projects_live.total_go_live_slip_days as {{ operations_type_double() }})
        / projects_live.projects_went_live as avg_go_live_slip_days,
        coalesce(milestones_completed.milestones_completed, 0) as milestones_completed,
        coalesce(milestones_completed.milestones_completed_late, 0) as milestones_completed_late,
        coalesce(milestones_completed.total_milestone_slippage_days, 0)
            as total_milestone_slippage_days,
        cast(milestones_completed.total_milestone_slippage_days as {{ operations_type_double() }})
        / milestones_completed.milestones_completed as avg_milestone_slippage_days,
        coalesce(milestones_slipping.milestones_slipping, 0) as milestones_slipping,
        coalesce(
            {{ batch_ids_concat([
                'projects_started._batch_ids', 'projects_live._batch_ids', 'projects_in_flight._batch_ids',
                'milestones_completed._batch_ids', 'milestones_slipping._batch_ids',
            ]) }},
            first_projects._batch_ids
        ) as _batch_ids
    from tenant_months
    left join projects_started
        on tenant_months.tenant_id = projects_started.tenant_id
            and tenant_months.month_start = projects_started.month_start
    left join projects_live
        on tenant_months.tenant_id = projects_live.tenant_id
            and tenant_months.month_start = projects_live.month_start
    left join projects_in_flight
        on tenant_months.tenant_id = projects_in_flight.tenant_id
            and tenant_months.month_start = projects_in_flight.month_start
    left join milestones_completed
        on tenant_months.tenant_id = milestones_completed.tenant_id
            and tenant_months.month_start = milestones_completed.month_start
    left join milestones_slipping
        on tenant_months.tenant_id = milestones_slipping.tenant_id
            and tenant_months.month_start = milestones_slipping.month_start
    left join first_projects
        on tenant_months.tenant_id = first_projects.tenant_id

)

select * from final
