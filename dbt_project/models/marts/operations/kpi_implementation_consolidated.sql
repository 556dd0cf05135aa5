{#-
    Implementation cycle time and milestone slippage of all tenants together per month:
    counts and day totals summed over tenants, averages recomputed from the totals (never
    averaged averages); tenant_id is 'ALL'.
-#}
with

tenant_months as (

    select * from {{ ref('kpi_implementation') }}

),

totals as (

    select
        month_start,
        max(measured_on) as measured_on,
        count(distinct tenant_id) as tenants,
        sum(projects_started) as projects_started,
        sum(projects_went_live) as projects_went_live,
        sum(projects_live_late) as projects_live_late,
        sum(projects_in_flight) as projects_in_flight,
        sum(total_cycle_time_days) as total_cycle_time_days,
        sum(total_planned_cycle_time_days) as total_planned_cycle_time_days,
        sum(total_go_live_slip_days) as total_go_live_slip_days,
        sum(milestones_completed) as milestones_completed,
        sum(milestones_completed_late) as milestones_completed_late,
        sum(total_milestone_slippage_days) as total_milestone_slippage_days,
        sum(milestones_slipping) as milestones_slipping,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from tenant_months
    group by month_start

),

final as (

    select
        'ALL' as tenant_id,
        month_start,
        measured_on,
        tenants,
        projects_started,
        projects_went_live,
        projects_live_late,
        projects_in_flight,
        total_cycle_time_days,
        case when projects_went_live > 0
                then cast(total_cycle_time_days as {{ operations_type_double() }})
                    / projects_went_live
        end as avg_cycle_time_days,
        case when projects_went_live > 0
                then cast(total_planned_cycle_time_days as {{ operations_type_double() }})
                    / projects_went_live
        end as avg_planned_cycle_time_days,
        total_go_live_slip_days,
        case when projects_went_live > 0
                then cast(total_go_live_slip_days as {{ operations_type_double() }})
                    / projects_went_live
        end as avg_go_live_slip_days,
        milestones_completed,
        milestones_completed_late,
        total_milestone_slippage_days,
        case when milestones_completed > 0
                then cast(total_milestone_slippage_days as {{ operations_type_double() }})
                    / milestones_completed
        end as avg_milestone_slippage_days,
        milestones_slipping,
        _batch_ids
    from totals

)

select * from final
