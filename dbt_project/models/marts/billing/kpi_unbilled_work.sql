{#-
    Unbilled delivered work as of the as-of date per tenant, currency, work type (milestone /
    usage) and aging bucket (days since delivery): amount and count, in the original currency,
    the tenant's reporting currency and the group currency at the as-of month's rate.
-#}
with

work as (

    select * from {{ ref('fct_unbilled_work') }}

),

stg_finance__tenants as (

    select * from {{ ref('stg_finance__tenants') }}

),

tenants as (

    select
        tenant_id,
        reporting_currency
    from stg_finance__tenants

),

grouped as (

    select
        tenant_id,
        currency,
        work_type,
        aging_bucket,
        count(*) as item_count,
        sum(case when is_due then 1 else 0 end) as overdue_item_count,
        sum(unbilled_amount) as unbilled_amount,
        sum(case when is_due then unbilled_amount else 0 end) as overdue_unbilled_amount,
        max(age_days) as oldest_age_days,
        avg(age_days) as average_age_days,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from work
    group by tenant_id, currency, work_type, aging_bucket

),

final as (

    select
        {{ generate_surrogate_key([
            'grouped.tenant_id', 'grouped.currency', 'grouped.work_type', 'grouped.aging_bucket'
        ]) }}
            as unbilled_work_summary_key,
        grouped.tenant_id,
        {{ as_of_date() }} as as_of_date,
        grouped.currency,
        tenants.reporting_currency,
        '{{ var("group_currency") }}' as group_currency,
        grouped.work_type,
        grouped.aging_bucket,
        grouped.item_count,
        grouped.overdue_item_count,
        {{ fx_convert_columns(
            ['unbilled_amount', 'overdue_unbilled_amount'], 'fx_reporting.rate', 'fx_group.rate'
        ) }},
        grouped.oldest_age_days,
        cast(grouped.average_age_days as decimal(18, 1)) as average_age_days,
        grouped._batch_ids
    from grouped
    left join tenants
        on grouped.tenant_id = tenants.tenant_id
    {{ fx_join_rate(
        'fx_reporting', 'grouped.tenant_id',
        'cast(' ~ dbt.date_trunc('month', as_of_date()) ~ ' as date)', 'grouped.currency',
        'tenants.reporting_currency'
    ) }}
    {{ fx_join_rate(
        'fx_group', 'grouped.tenant_id',
        'cast(' ~ dbt.date_trunc('month', as_of_date()) ~ ' as date)', 'grouped.currency',
        "'" ~ var('group_currency') ~ "'"
    ) }}

)

select * from final
