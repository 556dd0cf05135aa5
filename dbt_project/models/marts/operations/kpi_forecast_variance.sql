{#-
    Forecast against actual per tenant, month, segment and metric:
      bookings = first-year recurring value of contracts signed in the month
                 (int_contract_bookings_valued; new and renewal terms, not TCV);
      revenue  = invoiced revenue net of credit notes in the month (int_customer_revenue_monthly).
    The forecast is the latest one submitted for the month; the segment is the customer's.
    Amounts in the tenant's reporting currency (the currency forecasts are made in; the
    original currency of the forecast is kept) and in the group currency at the month's rate
    (the latest rate for months after the as-of month).
    variance = actual - forecast; variance_pct = variance / forecast.
    _batch_ids: the load batches of the forecasts submitted for the month (the latest is taken
    from them) and of the bookings or revenue behind the actual.
-#}
with

stg_finance__tenants as (

    select * from {{ ref('stg_finance__tenants') }}

),

stg_crm__customers as (

    select * from {{ ref('stg_crm__customers') }}

),

stg_crm__forecasts as (

    select * from {{ ref('stg_crm__forecasts') }}

),

int_contract_bookings_valued as (

    select * from {{ ref('int_contract_bookings_valued') }}

),

int_customer_revenue_monthly as (

    select * from {{ ref('int_customer_revenue_monthly') }}

),

tenants as (

    select
        tenant_id,
        reporting_currency
    from stg_finance__tenants

),

customers as (

    select
        tenant_id,
        customer_id,
        segment
    from stg_crm__customers

),

forecasts_ranked as (

    select
        tenant_id,
        forecast_month as month_start,
        segment,
        metric,
        currency,
        amount,
        row_number() over (
            partition by tenant_id, forecast_month, segment, metric
            order by submitted_date desc, forecast_id desc
        ) as recency,
        {{ batch_ids_agg(
            '_batch_id', over='partition by tenant_id, forecast_month, segment, metric'
        ) }}
            as _batch_ids
    from stg_crm__forecasts
    where submitted_date <= {{ as_of_date() }}

),

forecasts as (

    select
        forecasts_ranked.tenant_id,
        forecasts_ranked.month_start,
        forecasts_ranked.segment,
        forecasts_ranked.metric,
        forecasts_ranked.currency as forecast_currency,
        forecasts_ranked.amount as forecast_amount_original,
        {{ fx_convert_amount('forecasts_ranked.amount', 'to_reporting.rate') }} as forecast_amount,
        forecasts_ranked._batch_ids
    from forecasts_ranked
    inner join tenants
        on forecasts_ranked.tenant_id = tenants.tenant_id
    {{ fx_join_rate(
        'to_reporting', 'forecasts_ranked.tenant_id', 'forecasts_ranked.month_start',
        'forecasts_ranked.currency', 'tenants.reporting_currency', cap_at_as_of_month=true
    ) }}
    where forecasts_ranked.recency = 1

),

actual_components as (

    select
        tenant_id,
        customer_id,
        signed_month as month_start,
        'bookings' as metric,
        currency,
        first_year_value as amount,
        _batch_ids
    from int_contract_bookings_valued

    union all

    select
        tenant_id,
        customer_id,
        month_start,
        'revenue' as metric,
        currency,
        net_revenue as amount,
        _batch_ids
    from int_customer_revenue_monthly

),

actuals as (

    select
        actual_components.tenant_id,
        actual_components.month_start,
        customers.segment,
        actual_components.metric,
        sum({{ fx_convert_amount('actual_components.amount', 'to_reporting.rate') }})
            as actual_amount,
        {{ batch_ids_agg('actual_components._batch_ids') }} as _batch_ids
    from actual_components
    inner join customers
        on actual_components.tenant_id = customers.tenant_id
            and actual_components.customer_id = customers.customer_id
    inner join tenants
        on actual_components.tenant_id = tenants.tenant_id
    {{ fx_join_rate(
        'to_reporting', 'actual_components.tenant_id', 'actual_components.month_start',
        'actual_components.currency', 'tenants.reporting_currency', cap_at_as_of_month=true
    ) }}
    group by 1, 2, 3, 4

),

compared as (

    select
        coalesce(forecasts.tenant_id, actuals.tenant_id) as tenant_id,
        coalesce(forecasts.month_start, actuals.month_start) as month_start,
        coalesce(forecasts.segment, actuals.segment) as segment,
        coalesce(forecasts.metric, actuals.metric) as metric,
        forecasts.forecast_currency,
        forecasts.forecast_amount_original,
        cast(coalesce(forecasts.forecast_amount, 0) as decimal(18, 2)) as forecast_amount,
        cast(coalesce(actuals.actual_amount, 0) as decimal(18, 2)) as actual_amount,
        coalesce(forecasts.tenant_id is not null, false) as has_forecast,
        {{ batch_ids_concat(['forecasts._batch_ids', 'actuals._batch_ids']) }} as _batch_ids
    from forecasts
    full outer join actuals
        on forecasts.tenant_id = actuals.tenant_id
            and forecasts.month_start = actuals.month_start
            and forecasts.segment = actuals.segment
            and forecasts.metric = actuals.metric

),

final as (

    select
        compared.tenant_id,
        compared.month_start,
        compared.segment,
        compared.metric,
        case when cast({{ dbt.last_day('compared.month_start', 'month') }} as date)
                <= {{ as_of_date() }}
                then true
            else false
        end as is_closed_month,
        compared.has_forecast,
        compared.forecast_currency,
        compared.forecast_amount_original,
        tenants.reporting_currency,
        compared.forecast_amount,
        compared.actual_amount,
        cast(compared.actual_amount - compared.forecast_amount as decimal(18, 2)) as variance,
        case when compared.forecast_amount = 0 then null
            else cast(
                    compared.actual_amount
                    - compared.forecast_amount as {{ operations_type_double() }}
                )
                / compared.forecast_amount
        end as variance_pct,
        {{ fx_convert_amount('compared.forecast_amount', 'to_group.rate') }}
            as forecast_amount_group,
        {{ fx_convert_amount('compared.actual_amount', 'to_group.rate') }} as actual_amount_group,
        {{ fx_convert_amount('compared.actual_amount', 'to_group.rate') }}
        - {{ fx_convert_amount('compared.forecast_amount', 'to_group.rate') }} as variance_group,
        compared._batch_ids
    from compared
    inner join tenants
        on compared.tenant_id = tenants.tenant_id
    {{ fx_join_rate(
        'to_group', 'compared.tenant_id', 'compared.month_start', 'tenants.reporting_currency',
        "'" ~ var('group_currency') ~ "'", cap_at_as_of_month=true
    ) }}

)

select * from final
