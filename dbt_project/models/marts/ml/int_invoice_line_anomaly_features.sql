{#-
    What each invoice line issued on or before the as-of date is compared with by the billing
    anomaly model (ml/billing_anomalies.py turns these references into scale-free features and
    scores them): the customer's own history for the line item (leave-one-out medians, so an
    outlier does not pull its own reference towards itself), the contract's terms and the price
    book, the metering and its months around, peers paying for the same product, what vouches
    for the line item's own price, the calendar, and the rate to the reporting currency.
    Line items' agreed terms, the price book and the CRM's contract values come from staging:
    no mart publishes them.
-#}
{#- a line item's price may rise from its predecessor's by up to this factor; the relative
    tolerance for rounding either side. Python's ml.billing_anomalies holds the same values
    (USUAL_PRICE_RISE, PRICE_TOLERANCE; a test keeps them equal). -#}
{%- set usual_price_rise = 1.15 -%}
{%- set price_tolerance = 0.005 -%}
with

invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

usage_days as (

    select * from {{ ref('fct_usage_daily') }}

),

contracts as (

    select * from {{ ref('dim_contract') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

tenants as (

    select * from {{ ref('dim_tenant') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_monthly') }}

),

subscription_line_items as (

    select * from {{ ref('stg_billing__subscription_line_items') }}

),

price_book_entries as (

    select * from {{ ref('stg_billing__price_book_entries') }}

),

crm_contracts as (

    select * from {{ ref('stg_crm__contracts') }}

),

lines as (

    select
        l.tenant_id,
        l.invoice_line_id,
        l.invoice_id,
        l.customer_id,
        l.contract_id,
        l.line_item_id,
        l.product_id,
        l.line_type,
        l.currency,
        l.is_ad_hoc,
        cast(l.quantity as double) as quantity,
        cast(l.unit_price as double) as unit_price,
        cast(l.amount as double) as amount,
        l.period_start,
        l.period_end,
        l.invoice_date,
        {{ dbt.datediff('l.period_start', 'l.invoice_date', 'day') }} as delay_days
    from invoice_lines as l
    where l.invoice_date <= {{ as_of_date() }}

),

with_history as (

    select
        lines.*,
        median(lines.amount) over own_history as usual_amount,
        median(lines.quantity) over own_history as usual_quantity,
        median(lines.delay_days) over own_history as usual_delay_days,
        -- issue order as the duplicate rule has it: the first line of a period is the original
        row_number() over (
            partition by lines.tenant_id, lines.line_item_id, lines.period_start
            order by lines.invoice_date, lines.invoice_id, lines.invoice_line_id
        ) - 1 as earlier_lines_same_period,
        median(lines.unit_price) over peers as peer_unit_price,
        count(*) over peers as peer_lines
    from lines
    window
        own_history as (
            partition by tenant_id, line_item_id
            rows between unbounded preceding and unbounded following exclude current row
        ),
        peers as (
            partition by
                tenant_id,
                product_id,
                currency,
                line_type,
                {{ dbt.datediff('period_start', 'period_end', 'month') }},
                year(period_start)
        )

),

line_items as (

    select
        s.tenant_id,
        s.line_item_id,
        s.contract_id,
        s.customer_id,
        s.product_id,
        s.billing_model,
        s.billing_period,
        s.currency,
        s.amendment_id,
        s.start_date,
        s.end_date,
        cast(s.quantity as double) as quantity,
        cast(s.unit_price as double) as unit_price,
        cast(s.discount_pct as double) as discount_pct,
        -- fees over one month net of discount, per unit of price
        cast(s.quantity as double) * (100 - cast(s.discount_pct as double)) / 100
        / (case s.billing_period when 'quarterly' then 3 when 'annual' then 12 else 1 end)
            as monthly_units,
        cast(pb.unit_price as double) as list_unit_price
    from subscription_line_items as s
    left join price_book_entries as pb
        on s.tenant_id = pb.tenant_id and s.price_id = pb.price_id

),

moves as (

    -- The customer's previous line item of the same product, period and currency (a renewal's
    -- or an amendment's predecessor), when it ended before this one started.
    select
        tenant_id,
        line_item_id,
        lag(line_item_id) over customer_product as previous_line_item_id,
        lag(end_date) over customer_product as previous_end_date,
        start_date
    from line_items
    where billing_model = 'recurring'
    window customer_product as (
        partition by tenant_id, customer_id, product_id, billing_period, currency
        order by start_date, line_item_id
    )

),

vouched as (

    -- What vouches for a line item's price: the list price it was signed at, else the price it
    -- moved from (the predecessor's list price, else its price) by a usual increase.
    select
        li.*,
        case
            when moves.previous_end_date <= moves.start_date
                then coalesce(previous.list_unit_price, previous.unit_price)
        end as previous_unit_price
    from line_items as li
    left join moves
        on li.tenant_id = moves.tenant_id and li.line_item_id = moves.line_item_id
    left join line_items as previous
        on
            moves.tenant_id = previous.tenant_id
            and moves.previous_line_item_id = previous.line_item_id

),

candidates as (

    select
        *,
        -- a recurring line of the contract as signed that neither a list price nor a usual move
        -- from its predecessor vouches for: what could explain a gap in the contract value
        amendment_id is null
        and billing_model = 'recurring'
        and list_unit_price is null
        and not coalesce(
            unit_price between previous_unit_price * (1 - cast({{ price_tolerance }} as double))
            and previous_unit_price * (
                cast({{ usual_price_rise }} as double) + cast({{ price_tolerance }} as double)
            ),
            false
        ) as is_unvouched
    from vouched

),

contract_values as (

    -- The contract's value as signed, recomputed from its original line items the way the CRM
    -- states it (recurring fees over the term net of discount, one-time and milestone fees);
    -- a line signed at list price counts at that list price.
    select
        li.tenant_id,
        li.contract_id,
        max(cast(c.total_contract_value as double)) as crm_contract_value,
        max(c.term_months) as term_months,
        sum(case
            when li.billing_model = 'recurring'
                then li.monthly_units * coalesce(li.list_unit_price, li.unit_price) * c.term_months
            when li.billing_model in ('one_time', 'milestone') then li.quantity * li.unit_price
            else 0
        end) as value_from_lines
    from candidates as li
    inner join crm_contracts as c
        on li.tenant_id = c.tenant_id and li.contract_id = c.contract_id
    where li.amendment_id is null
    group by li.tenant_id, li.contract_id

),

terms as (

    select
        li.tenant_id,
        li.line_item_id,
        li.billing_period,
        li.start_date as line_start_date,
        li.quantity as contract_quantity,
        li.unit_price as contract_unit_price,
        li.discount_pct as contract_discount_pct,
        li.list_unit_price,
        li.previous_unit_price,
        -- the unit price an unvouched line would need for the line items to add up to the
        -- CRM's contract value
        case
            when li.is_unvouched and abs(cv.value_from_lines - cv.crm_contract_value) >= 0.01
                then li.unit_price - (cv.value_from_lines - cv.crm_contract_value)
                    / nullif(li.monthly_units * cv.term_months, 0)
        end as unit_price_matching_contract_value
    from candidates as li
    left join contract_values as cv
        on li.tenant_id = cv.tenant_id and li.contract_id = cv.contract_id

),

usage_monthly as (

    select
        u.tenant_id,
        u.line_item_id,
        u.usage_month,
        cast(sum(u.quantity) as double) as metered_quantity
    from usage_days as u
    where u.usage_date <= {{ as_of_date() }}
    group by u.tenant_id, u.line_item_id, u.usage_month

),

usage_trend as (

    select
        *,
        -- the three months on either side: a one-month spike stands out against both
        median(metered_quantity) over (
            partition by tenant_id, line_item_id order by usage_month
            range between interval 3 month preceding and interval 3 month following
            exclude current row
        ) as neighbour_metered_quantity
    from usage_monthly

),

fx as (

    select
        tenant_id,
        rate_month,
        from_currency,
        to_currency,
        cast(rate as double) as rate
    from fx_rates

),

final as (

    select
        h.tenant_id,
        h.invoice_line_id,
        h.invoice_id,
        h.customer_id,
        h.contract_id,
        h.line_item_id,
        h.product_id,
        coalesce(product.product_name, h.product_id) as product_name,
        h.line_type,
        h.currency,
        h.quantity,
        h.unit_price,
        h.amount,
        h.period_start,
        h.period_end,
        h.invoice_date,
        -- ad-hoc lines (no line item) have no history, contract or usage of their own
        case when h.line_item_id is not null then h.usual_amount end as usual_amount,
        case when h.line_item_id is not null then h.usual_quantity end as usual_quantity,
        h.delay_days,
        case when h.line_item_id is not null then h.usual_delay_days end as usual_delay_days,
        case
            when h.line_item_id is not null then h.earlier_lines_same_period else 0
        end as earlier_lines_same_period,
        case when h.peer_lines >= 3 then h.peer_unit_price end as peer_unit_price,
        terms.contract_quantity,
        terms.contract_unit_price,
        terms.contract_discount_pct,
        terms.list_unit_price,
        terms.previous_unit_price,
        terms.unit_price_matching_contract_value,
        (
            select max_by(cast(pb.unit_price as double), pb.valid_from)  -- noqa: AL03
            from price_book_entries as pb
            where
                pb.tenant_id = h.tenant_id
                and pb.product_id = h.product_id
                and pb.currency = h.currency
                and pb.billing_period = coalesce(terms.billing_period, 'none')
                and pb.valid_from <= h.period_start
                and (pb.valid_to is null or h.period_start < pb.valid_to)
        ) as price_book_unit_price,
        usage_trend.metered_quantity,
        usage_trend.neighbour_metered_quantity,
        case
            when h.line_type = 'recurring' and h.line_item_id is not null
                then greatest(
                    {{ dbt.datediff(
                        'h.period_start',
                        'coalesce(contract.service_activated_date, ' ~ as_of_date() ~ ')',
                        'day',
                    ) }},
                        {{ dbt.datediff('h.period_start', 'terms.line_start_date', 'day') }},
                        0
                    )
            else 0
        end as days_before_activation,
        tenant.reporting_currency,
        case when h.currency = tenant.reporting_currency then 1.0 else fx.rate end
            as fx_rate_to_reporting,
        {{ as_of_date() }} as as_of_date
    from with_history as h
    left join terms
        on h.tenant_id = terms.tenant_id and h.line_item_id = terms.line_item_id
    left join usage_trend
        on
            h.line_type = 'usage'
            and h.tenant_id = usage_trend.tenant_id
            and h.line_item_id = usage_trend.line_item_id
            and h.period_start = usage_trend.usage_month
    left join contracts as contract
        on h.tenant_id = contract.tenant_id and h.contract_id = contract.contract_id
    left join products as product
        on h.tenant_id = product.tenant_id and h.product_id = product.product_id
    left join tenants as tenant
        on h.tenant_id = tenant.tenant_id
    left join fx
        on
            h.tenant_id = fx.tenant_id
            and fx.rate_month = {{ dbt.date_trunc('month', 'h.invoice_date') }}
            and h.currency = fx.from_currency
            and tenant.reporting_currency = fx.to_currency

)

select * from final
