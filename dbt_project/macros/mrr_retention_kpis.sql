{#-
    Retention KPIs per month (and per `partition_by` columns, e.g. ['tenant_id']) over
    fct_mrr, for one currency view (reporting: mrr / previous_mrr / movement_type; group:
    mrr_group / previous_mrr_group / movement_type_group). Returns a full select.

    - ARPA = MRR / customers with MRR > 0 in the month.
    - Logo churn rate = customers churned in M / customers with MRR > 0 at the start of M
      (previous_mrr > 0, i.e. in M-1's closing).
    - 12-month cohort: customers with MRR > 0 twelve months before M.
      NRR = cohort MRR in M / cohort MRR in M-12;
      GRR = the same with each customer's MRR in M capped at its MRR in M-12.
      Null while there is no cohort (the first twelve months).
    A customer's row of M always exists once it had MRR (fct_mrr runs every month to the
    as-of month), so a churned cohort member counts with zero.
-#}
{%- macro mrr_retention_kpis(fct_mrr_relation, mrr, previous_mrr, movement_type, partition_by=[]) -%}
{%- set keys = partition_by + ['month_start'] -%}
with

customer_months as (

    select * from {{ fct_mrr_relation }}

),

monthly as (

    select
        {% for key in keys -%}
        {{ key }},
        {% endfor -%}
        sum({{ mrr }}) as mrr,
        count(case when {{ mrr }} > 0 then 1 end) as active_customers,
        count(case when {{ previous_mrr }} > 0 then 1 end) as opening_customers,
        count(case when {{ movement_type }} = 'churn' then 1 end) as churned_customers
    from customer_months
    group by {{ keys | join(', ') }}

),

cohort_pairs as (

    {{ mrr_cohort_pairs('customer_months', mrr, partition_by) }}

),

cohorts as (

    select
        {% for key in keys -%}
        {{ key }},
        {% endfor -%}
        count(*) as cohort_customers,
        count(case when mrr_now > 0 then 1 end) as cohort_retained_customers,
        sum(mrr_then) as cohort_mrr_then,
        sum(mrr_now) as cohort_mrr_now,
        sum(mrr_now_capped) as cohort_mrr_now_capped
    from cohort_pairs
    group by {{ keys | join(', ') }}

),

final as (

    select
        {% for key in keys -%}
        monthly.{{ key }},
        {% endfor -%}
        monthly.mrr,
        12 * monthly.mrr as arr,
        monthly.active_customers,
        cast(monthly.mrr / nullif(monthly.active_customers, 0) as {{ dbt.type_numeric() }}) as arpa,
        monthly.opening_customers,
        monthly.churned_customers,
        cast(
            1.0 * monthly.churned_customers / nullif(monthly.opening_customers, 0)
            as {{ dbt.type_numeric() }}
        ) as logo_churn_rate,
        coalesce(cohorts.cohort_customers, 0) as cohort_customers,
        coalesce(cohorts.cohort_retained_customers, 0) as cohort_retained_customers,
        coalesce(cohorts.cohort_mrr_then, 0) as cohort_mrr_then,
        coalesce(cohorts.cohort_mrr_now, 0) as cohort_mrr_now,
        coalesce(cohorts.cohort_mrr_now_capped, 0) as cohort_mrr_now_capped,
        cast(
            cohorts.cohort_mrr_now / nullif(cohorts.cohort_mrr_then, 0) as {{ dbt.type_numeric() }}
        ) as nrr,
        cast(
            cohorts.cohort_mrr_now_capped / nullif(cohorts.cohort_mrr_then, 0) as {{ dbt.type_numeric() }}
        ) as grr
    from monthly
    left join cohorts
        on {% for key in keys -%}
        monthly.{{ key }} = cohorts.{{ key }}{{ ' and ' if not loop.last }}
        {%- endfor %}

)

select * from final
{%- endmacro -%}


{#-
    The 12-month cohort of each month M, one row per member: the customers with MRR > 0 in
    M-12 (`partition_by` columns, the customer and M), their MRR then and now, and now capped
    at then (what GRR counts). `customer_months` is a relation (or CTE) of fct_mrr's rows;
    mrr_retention_kpis sums these rows, fct_mrr_cohorts stores them.
-#}
{%- macro mrr_cohort_pairs(customer_months, mrr, partition_by=[]) -%}
    select
        {% for key in partition_by -%}
        now_month.{{ key }},
        {% endfor -%}
        now_month.customer_id,
        now_month.month_start,
        then_month.{{ mrr }} as mrr_then,
        now_month.{{ mrr }} as mrr_now,
        case
            when now_month.{{ mrr }} < then_month.{{ mrr }} then now_month.{{ mrr }}
            else then_month.{{ mrr }}
        end as mrr_now_capped,
        {{ batch_ids_concat(['then_month._batch_ids', 'now_month._batch_ids']) }} as _batch_ids
    from {{ customer_months }} as then_month
    inner join {{ customer_months }} as now_month
        on then_month.tenant_id = now_month.tenant_id
        and then_month.customer_id = now_month.customer_id
        and now_month.month_start
            = cast({{ dbt.dateadd('month', 12, 'then_month.month_start') }} as date)
    where then_month.{{ mrr }} > 0
{%- endmacro -%}
