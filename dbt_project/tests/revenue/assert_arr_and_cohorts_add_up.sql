{#-
    kpi_arr_by_dimension and kpi_cohort_retention add up to kpi_retention: per tenant and
    month with ARR, every dimension's rows sum to the tenant's ARR (reporting and group
    currency, the latter from fct_mrr) and, for the customer dimensions, to its paying
    customers; the cohorts' retained customers sum to the tenant's active customers.
    Returns what differs.
-#}
with

kpi_arr_by_dimension as (

    select * from {{ ref('kpi_arr_by_dimension') }}

),

kpi_cohort_retention as (

    select * from {{ ref('kpi_cohort_retention') }}

),

kpi_retention as (

    select * from {{ ref('kpi_retention') }}

),

fct_mrr as (

    select * from {{ ref('fct_mrr') }}

),

tenant_months as (

    select
        kpi_retention.tenant_id,
        kpi_retention.month_start,
        kpi_retention.arr,
        kpi_retention.active_customers,
        group_months.arr_group
    from kpi_retention
    inner join (  -- noqa: ST05
        select
            tenant_id,
            month_start,
            12 * sum(mrr_group) as arr_group
        from fct_mrr
        group by tenant_id, month_start
    ) as group_months
        on kpi_retention.tenant_id = group_months.tenant_id
            and kpi_retention.month_start = group_months.month_start

),

dimension_sums as (

    select
        tenant_id,
        month_start,
        dimension,
        sum(arr) as arr,
        sum(arr_group) as arr_group,
        sum(customers) as customers
    from kpi_arr_by_dimension
    group by tenant_id, month_start, dimension

),

cohort_sums as (

    select
        tenant_id,
        month_start,
        sum(retained_customers) as retained_customers
    from kpi_cohort_retention
    group by tenant_id, month_start

),

dimension_differences as (

    select
        dimension_sums.dimension as check_name,
        dimension_sums.tenant_id,
        dimension_sums.month_start
    from dimension_sums
    left join tenant_months
        on dimension_sums.tenant_id = tenant_months.tenant_id
            and dimension_sums.month_start = tenant_months.month_start
    where coalesce(tenant_months.arr, -1) <> dimension_sums.arr
        or coalesce(tenant_months.arr_group, -1) <> dimension_sums.arr_group
        or (
            dimension_sums.dimension <> 'product'
            and tenant_months.active_customers <> dimension_sums.customers
        )

),

missing_dimensions as (

    select
        'dimensions' as check_name,
        tenant_months.tenant_id,
        tenant_months.month_start
    from tenant_months
    left join dimension_sums
        on tenant_months.tenant_id = dimension_sums.tenant_id
            and tenant_months.month_start = dimension_sums.month_start
    -- a month without any recurring line has no row to split
    where tenant_months.arr <> 0 or tenant_months.arr_group <> 0
    group by tenant_months.tenant_id, tenant_months.month_start
    having count(distinct dimension_sums.dimension) <> 4

),

cohort_differences as (

    select
        'cohorts' as check_name,
        tenant_months.tenant_id,
        tenant_months.month_start
    from tenant_months
    left join cohort_sums
        on tenant_months.tenant_id = cohort_sums.tenant_id
            and tenant_months.month_start = cohort_sums.month_start
    where coalesce(cohort_sums.retained_customers, 0) <> tenant_months.active_customers

),

final as (

    select * from dimension_differences
    union all
    select * from missing_dimensions
    union all
    select * from cohort_differences

)

select * from final
