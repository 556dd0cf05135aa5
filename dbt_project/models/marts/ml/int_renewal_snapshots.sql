{#-
    The (contract, scoring date) pairs renewal features are computed for, one row each:

    * scoring: every contract signed before the as-of date whose end date falls in
      (as-of date, as-of date + 180 days], on the as-of date itself;
    * training: every contract decided by the as-of date (int_renewal_outcomes) on the first
      of each month from which its end date is 1 to 180 days away and that follows its signing,
      which is what the scores see: contracts 1 to 180 days out.

    The two never share a contract: a scored contract ends after the as-of date, a decided one
    on or before it.
-#}
{%- set renewal_window_days = 180 -%}
with

contracts as (

    select * from {{ ref('dim_contract') }}

),

outcomes as (

    select * from {{ ref('int_renewal_outcomes') }}

),

-- 0..9: how many months before the month of its last day a training snapshot is taken
months_back as (

    {{ integer_spine(1) }}

),

scoring as (

    select
        tenant_id,
        contract_id,
        {{ as_of_date() }} as scoring_date,
        'scoring' as purpose
    from contracts
    where
        signed_date < {{ as_of_date() }}
        and end_date > {{ as_of_date() }}
        and end_date <= {{ dbt.dateadd('day', renewal_window_days, as_of_date()) }}

),

training_dates as (

    select
        contracts.tenant_id,
        contracts.contract_id,
        contracts.signed_date,
        contracts.end_date,
        cast({{ dbt.dateadd(
            'month',
            '-months_back.n',
            dbt.date_trunc('month', dbt.dateadd('day', -1, 'contracts.end_date')),
        ) }} as date) as scoring_date
    from outcomes
    inner join contracts
        on
            outcomes.tenant_id = contracts.tenant_id
            and outcomes.contract_id = contracts.contract_id
    cross join months_back

),

training as (

    select
        tenant_id,
        contract_id,
        scoring_date,
        'training' as purpose
    from training_dates
    where
        {{ dbt.datediff('scoring_date', 'end_date', 'day') }} <= {{ renewal_window_days }}
        and signed_date < scoring_date

),

final as (

    select * from scoring
    union all
    select * from training

)

select * from final
