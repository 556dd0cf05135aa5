{#-
    One row per day from the first day of the year of the earliest business date to the end
    of the year after the as-of date. Month and quarter starts let facts join by period.
-#}
with

stg_crm__contracts as (

    select * from {{ ref('stg_crm__contracts') }}

),

bounds as (

    select
        cast({{ dbt.date_trunc('year', 'min(signed_date)') }} as date) as first_day,
        cast({{ dbt.dateadd('year', 2, dbt.date_trunc('year', as_of_date())) }} as date)
            as after_last_day
    from stg_crm__contracts

),

days as (

    select
        cast({{ dbt.dateadd('day', 'spine.n', 'bounds.first_day') }} as date) as date_day
    from ({{ integer_spine(5) }}) as spine
    cross join bounds
    where spine.n < {{ dbt.datediff('bounds.first_day', 'bounds.after_last_day', 'day') }}

),

final as (

    select
        date_day,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start,
        cast({{ dbt.date_trunc('year', 'date_day') }} as date) as year_start,
        extract(year from date_day) as year_number,
        extract(month from date_day) as month_number,
        case when date_day = cast({{ dbt.date_trunc('month', 'date_day') }} as date)
                then true
            else false
        end as is_month_start,
        case when date_day <= {{ as_of_date() }} then true else false end as is_on_or_before_as_of
    from days

)

select * from final
