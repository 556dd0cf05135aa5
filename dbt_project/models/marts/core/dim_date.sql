{#-
    The calendar of the marts: the day spine of int_days_spined, one row per day (see there).
-#}
with

int_days_spined as (

    select * from {{ ref('int_days_spined') }}

)

select
    date_day,
    month_start,
    quarter_start,
    year_start,
    year_number,
    month_number,
    is_month_start,
    is_on_or_before_as_of
from int_days_spined
