{#-
    Renewal-risk features of every (contract, scoring date) pair of int_renewal_snapshots, one
    row each. Every feature is built only from rows dated strictly before the scoring date
    (events by their date; monthly figures up to ref_month, the last month that ended before the
    scoring date's month began), so a model trained on past scoring dates sees what it would have
    seen then. Mart columns describing the state on the warehouse's own as-of date
    (dim_contract.status, current_mrr, is_in_term, dim_customer.customer_status ...) are never
    read. What each feature means is in _int_renewal_snapshot_features.yml.
-#}
{%- set near_window_days = 90 -%}
with

snapshots as (

    select * from {{ ref('int_renewal_snapshots') }}

),

contracts as (

    select * from {{ ref('dim_contract') }}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

customer_months as (

    select * from {{ ref('fct_mrr') }}

),

line_months as (

    select * from {{ ref('fct_subscription_line_months') }}

),

usage_days as (

    select * from {{ ref('fct_usage_daily') }}

),

milestones as (

    select * from {{ ref('fct_milestones') }}

),

tickets as (

    select * from {{ ref('fct_support_tickets') }}

),

exceptions as (

    select * from {{ ref('fct_billing_exceptions') }}

),

payments as (

    select * from {{ ref('fct_payments') }}

),

contract_amendments as (

    select * from {{ ref('stg_crm__contract_amendments') }}

),

price_book_entries as (

    select * from {{ ref('stg_billing__price_book_entries') }}

),

subscription_line_items as (

    select * from {{ ref('stg_billing__subscription_line_items') }}

),

upcoming as (

    select
        s.tenant_id,
        s.contract_id,
        s.scoring_date,
        s.purpose,
        cast({{ dbt.dateadd('month', -1, dbt.date_trunc('month', 's.scoring_date')) }} as date)
            as ref_month,
        c.customer_id,
        c.contract_type,
        c.billing_frequency,
        c.term_months,
        c.auto_renew,
        c.signed_date,
        c.start_date,
        c.end_date as renewal_date,
        {{ dbt.datediff('s.scoring_date', 'c.end_date', 'day') }} as days_to_renewal,
        -- onboarding weighs on the first renewal only: days beyond 30, or so far if not live yet
        case
            when c.contract_type = 'new'
                then greatest(0, coalesce(
                        case
                            when
                                c.service_activated_date < s.scoring_date
                                then c.activation_lag_days
                        end,
                        {{ dbt.datediff('c.signed_date', 's.scoring_date', 'day') }}
                    ) - 30)
            else 0
        end as first_term_lag_over_30,
        -- a lag is only known once the service went live
        case
            when c.service_activated_date < s.scoring_date then c.activation_lag_days
        end as activation_lag_days
    from snapshots as s
    inner join contracts as c
        on s.tenant_id = c.tenant_id and s.contract_id = c.contract_id

),

customer_mrr as (

    select
        u.tenant_id,
        u.contract_id,
        u.scoring_date,
        min(case when m.mrr > 0 then m.month_start end) as first_active_month,
        coalesce(max(case when m.month_start = u.ref_month then m.mrr end), 0) as mrr_now,
        coalesce(max(case
            when m.month_start = {{ dbt.dateadd('month', -3, 'u.ref_month') }} then m.mrr
        end), 0) as mrr_3m_ago,
        coalesce(max(case
            when m.month_start = {{ dbt.dateadd('month', -6, 'u.ref_month') }} then m.mrr
        end), 0) as mrr_6m_ago
    from upcoming as u
    inner join customer_months as m
        on u.tenant_id = m.tenant_id and u.customer_id = m.customer_id
    where m.month_start <= u.ref_month
    group by u.tenant_id, u.contract_id, u.scoring_date

),

contract_mrr as (

    select
        u.tenant_id,
        u.contract_id,
        u.scoring_date,
        sum(l.monthly_amount_reporting) as contract_mrr
    from upcoming as u
    inner join line_months as l
        on u.tenant_id = l.tenant_id and u.contract_id = l.contract_id
    where l.month_start = u.ref_month
    group by u.tenant_id, u.contract_id, u.scoring_date

),

-- per metered metric, the last 3 complete months against the 3 before (log ratio)
metric_trends as (

    select
        u.tenant_id,
        u.contract_id,
        u.scoring_date,
        d.metric,
        sum(case
            when d.usage_month > {{ dbt.dateadd('month', -3, 'u.ref_month') }} then d.quantity
            else 0
        end) as last_3m,
        sum(case
            when d.usage_month <= {{ dbt.dateadd('month', -3, 'u.ref_month') }} then d.quantity
            else 0
        end) as prior_3m
    from upcoming as u
    inner join usage_days as d
        on u.tenant_id = d.tenant_id and u.customer_id = d.customer_id
    where
        d.usage_month > {{ dbt.dateadd('month', -6, 'u.ref_month') }}
        and d.usage_month <= u.ref_month
    group by u.tenant_id, u.contract_id, u.scoring_date, d.metric

),

-- API calls per complete month of the current term: the slope of their log is the term's
-- growth rate, which the 3-month ratio only sees through a lot of monthly noise
api_months as (

    select
        u.tenant_id,
        u.contract_id,
        u.scoring_date,
        d.usage_month,
        sum(d.quantity) as quantity
    from upcoming as u
    inner join usage_days as d
        on u.tenant_id = d.tenant_id and u.customer_id = d.customer_id
    where
        d.metric = 'api_calls'
        and d.usage_month >= u.start_date
        and d.usage_month <= u.ref_month
    group by u.tenant_id, u.contract_id, u.scoring_date, d.usage_month

),

api_slopes as (

    select
        tenant_id,
        contract_id,
        scoring_date,
        -- per 3 months, the scale of the ratio; needs 4 months to mean anything; ordered, so
        -- parallel threads cannot change the float sums in the last bit
        case
            when count(*) >= 4 then 3 * regr_slope(
                    ln(quantity),
                    {{ dbt.datediff("cast('2000-01-01' as date)", 'usage_month', 'month') }}
                    order by usage_month
                )
        end as api_usage_slope
    from api_months
    where quantity > 0
    group by tenant_id, contract_id, scoring_date

),

usage_trends as (

    select
        tenant_id,
        contract_id,
        scoring_date,
        max(case
            when metric = 'api_calls' and prior_3m > 0 then ln((last_3m + 1) / (prior_3m + 1))
        end) as api_usage_trend,
        avg(case
            when prior_3m > 0 then ln((last_3m + 1) / (prior_3m + 1))
        end order by metric) as usage_trend_all
    from metric_trends
    group by tenant_id, contract_id, scoring_date

),

go_live as (

    select
        u.tenant_id,
        u.contract_id,
        u.scoring_date,
        max(case
            when m.completed_date < u.scoring_date
                then greatest(0, {{ dbt.datediff('m.planned_date', 'm.completed_date', 'day') }})
            when m.planned_date < u.scoring_date
                then {{ dbt.datediff('m.planned_date', 'u.scoring_date', 'day') }}
            else 0
        end) as go_live_slip_days
    from upcoming as u
    inner join milestones as m
        on u.tenant_id = m.tenant_id and u.contract_id = m.contract_id
    where m.milestone_name = 'Go-live'
    group by u.tenant_id, u.contract_id, u.scoring_date

),

support as (

    select
        u.tenant_id,
        u.contract_id,
        u.scoring_date,
        count(case
            when t.is_escalated and t.opened_at >= {{ dbt.dateadd('day', -60, 'u.scoring_date') }}
                then 1
        end) as escalations_60d,
        count(case
            when t.is_escalated and t.opened_at >= {{ dbt.dateadd('day', -180, 'u.scoring_date') }}
                then 1
        end) as escalations_180d,
        count(case
            when t.is_escalated and t.opened_at >= {{ dbt.dateadd('day', -365, 'u.scoring_date') }}
                then 1
        end) as escalations_365d,
        -- the year before the renewal decision (a month before the end), as far as it is known
        count(case
            when
                t.is_escalated
                and t.opened_at >= {{ dbt.dateadd('day', -395, 'u.renewal_date') }}
                and t.opened_at < {{ dbt.dateadd('day', -30, 'u.renewal_date') }}
                then 1
        end) as escalations_renewal_year,
        count(case
            when t.opened_at >= {{ dbt.dateadd('day', -180, 'u.scoring_date') }} then 1
        end) as tickets_180d
    from upcoming as u
    inner join tickets as t
        on u.tenant_id = t.tenant_id and u.customer_id = t.customer_id
    where
        t.opened_at >= least(
            {{ dbt.dateadd('day', -365, 'u.scoring_date') }},
            {{ dbt.dateadd('day', -395, 'u.renewal_date') }}
        )
        and t.opened_at < u.scoring_date
    group by u.tenant_id, u.contract_id, u.scoring_date

),

billing_exceptions as (

    select
        u.tenant_id,
        u.contract_id,
        u.scoring_date,
        count(*) as billing_exceptions_180d
    from upcoming as u
    inner join exceptions as e
        on u.tenant_id = e.tenant_id and u.customer_id = e.customer_id
    where
        e.due_date >= {{ dbt.dateadd('day', -180, 'u.scoring_date') }}
        and e.due_date < u.scoring_date
        -- an exception that rests on a later invoice was not visible yet
        and coalesce(e.first_invoice_date, e.due_date) < u.scoring_date
    group by u.tenant_id, u.contract_id, u.scoring_date

),

late_payments as (

    select
        u.tenant_id,
        u.contract_id,
        u.scoring_date,
        count(*) as late_payments_180d
    from upcoming as u
    inner join payments as pay
        on u.tenant_id = pay.tenant_id and u.customer_id = pay.customer_id
    where
        pay.received_date >= {{ dbt.dateadd('day', -180, 'u.scoring_date') }}
        and pay.received_date < u.scoring_date
        and pay.is_succeeded
        and pay.days_after_due > 0
    group by u.tenant_id, u.contract_id, u.scoring_date

),

amendments as (

    select
        u.tenant_id,
        u.contract_id,
        u.scoring_date,
        a.amendment_type,
        a.mrr_delta,
        a.effective_date,
        row_number() over (
            partition by u.tenant_id, u.contract_id, u.scoring_date
            order by a.effective_date desc, a.signed_date desc, a.amendment_id desc
        ) as recency
    from upcoming as u
    inner join contract_amendments as a
        on u.tenant_id = a.tenant_id and u.contract_id = a.contract_id
    -- signed before the scoring date is known; one taking effect on that day already counts
    where a.signed_date < u.scoring_date and a.effective_date <= u.scoring_date

),

-- each amendment's MRR delta against the contract's MRR (contract currency, like mrr_delta)
-- the month before it took effect
amendment_changes as (

    select
        a.tenant_id,
        a.contract_id,
        a.scoring_date,
        a.amendment_type,
        a.mrr_delta,
        a.recency,
        100.0 * a.mrr_delta / nullif(sum(l.monthly_amount), 0) as change_pct
    from amendments as a
    left join line_months as l
        on
            a.tenant_id = l.tenant_id
            and a.contract_id = l.contract_id
            and l.month_start = cast({{ dbt.dateadd(
                'month', -1, dbt.date_trunc('month', 'a.effective_date')
            ) }} as date)
    group by
        a.tenant_id, a.contract_id, a.scoring_date, a.amendment_type, a.mrr_delta, a.recency

),

last_amendment as (

    select
        tenant_id,
        contract_id,
        scoring_date,
        amendment_type,
        mrr_delta,
        change_pct
    from amendment_changes
    where recency = 1

),

price_changes as (

    select
        tenant_id,
        contract_id,
        scoring_date,
        sum(coalesce(change_pct, 0)) as price_change_pct
    from amendment_changes
    where amendment_type = 'price_change'
    group by tenant_id, contract_id, scoring_date

),

recurring_lines as (

    select
        u.tenant_id,
        u.contract_id,
        u.scoring_date,
        u.signed_date,
        l.line_item_id,
        l.product_id,
        l.currency,
        l.billing_period,
        l.quantity
    from upcoming as u
    inner join subscription_line_items as l
        on u.tenant_id = l.tenant_id and u.contract_id = l.contract_id
    where l.billing_model = 'recurring' and l.start_date < u.scoring_date

),

-- list prices known on the scoring date: valid_to is never read, it announces the next price
line_list_prices as (

    select
        r.tenant_id,
        r.contract_id,
        r.scoring_date,
        r.line_item_id,
        r.quantity,
        max_by(k.unit_price, k.valid_from) filter (
            where k.valid_from <= r.signed_date
        ) as price_at_signing,
        max_by(k.unit_price, k.valid_from) as price_now
    from recurring_lines as r
    inner join price_book_entries as k
        on
            r.tenant_id = k.tenant_id
            and r.product_id = k.product_id
            and r.currency = k.currency
            and r.billing_period = k.billing_period
            and r.scoring_date > k.valid_from
    group by r.tenant_id, r.contract_id, r.scoring_date, r.line_item_id, r.quantity

),

list_prices as (

    select
        tenant_id,
        contract_id,
        scoring_date,
        100.0 * (
            sum(quantity * price_now) / nullif(sum(quantity * price_at_signing), 0) - 1
        ) as list_price_increase_pct
    from line_list_prices
    where price_at_signing is not null
    group by tenant_id, contract_id, scoring_date

),

final as (

    select
        u.tenant_id,
        u.contract_id,
        u.scoring_date,
        u.purpose,
        u.customer_id,
        u.renewal_date,
        u.days_to_renewal,
        u.days_to_renewal <= {{ near_window_days }} as within_90_days,
        true as within_180_days,
        coalesce(
            {{ dbt.datediff('cm.first_active_month', 'u.ref_month', 'month') }} + 1, 0
        ) as tenure_months,
        u.term_months,
        cast(u.auto_renew as integer) as auto_renew,
        cast(coalesce(cu.is_partner_sourced, false) as integer) as is_partner_sourced,
        coalesce(k.contract_mrr, 0) as contract_mrr,
        coalesce(cm.mrr_now, 0) as mrr_now,
        coalesce(cm.mrr_now - cm.mrr_3m_ago, 0) as mrr_change_3m,
        coalesce(cm.mrr_now - cm.mrr_6m_ago, 0) as mrr_change_6m,
        coalesce(s.escalations_60d, 0) as escalations_60d,
        coalesce(s.escalations_180d, 0) as escalations_180d,
        coalesce(s.escalations_365d, 0) as escalations_365d,
        coalesce(s.escalations_renewal_year, 0) as escalations_renewal_year,
        coalesce(s.tickets_180d, 0) as tickets_180d,
        u.activation_lag_days,
        u.first_term_lag_over_30,
        coalesce(ut.api_usage_trend, 0) as api_usage_trend,
        coalesce(ut.usage_trend_all, 0) as usage_trend_all,
        coalesce(sl.api_usage_slope, ut.api_usage_trend, 0) as api_usage_slope,
        coalesce(gl.go_live_slip_days, 0) as go_live_slip_days,
        coalesce(pc.price_change_pct, 0) as price_change_pct,
        coalesce(lpi.list_price_increase_pct, 0) as list_price_increase_pct,
        coalesce(be.billing_exceptions_180d, 0) as billing_exceptions_180d,
        coalesce(lp.late_payments_180d, 0) as late_payments_180d,
        la.change_pct as last_amendment_change_pct,
        coalesce(cu.segment, 'unknown') as segment,
        coalesce(cu.region, 'unknown') as region,
        u.contract_type,
        u.billing_frequency,
        coalesce(la.amendment_type, 'none') as last_amendment_type
    from upcoming as u
    left join customers as cu
        on u.tenant_id = cu.tenant_id and u.customer_id = cu.customer_id
    left join customer_mrr as cm
        on
            u.tenant_id = cm.tenant_id
            and u.contract_id = cm.contract_id
            and u.scoring_date = cm.scoring_date
    left join contract_mrr as k
        on
            u.tenant_id = k.tenant_id
            and u.contract_id = k.contract_id
            and u.scoring_date = k.scoring_date
    left join support as s
        on
            u.tenant_id = s.tenant_id
            and u.contract_id = s.contract_id
            and u.scoring_date = s.scoring_date
    left join billing_exceptions as be
        on
            u.tenant_id = be.tenant_id
            and u.contract_id = be.contract_id
            and u.scoring_date = be.scoring_date
    left join late_payments as lp
        on
            u.tenant_id = lp.tenant_id
            and u.contract_id = lp.contract_id
            and u.scoring_date = lp.scoring_date
    left join last_amendment as la
        on
            u.tenant_id = la.tenant_id
            and u.contract_id = la.contract_id
            and u.scoring_date = la.scoring_date
    left join usage_trends as ut
        on
            u.tenant_id = ut.tenant_id
            and u.contract_id = ut.contract_id
            and u.scoring_date = ut.scoring_date
    left join api_slopes as sl
        on
            u.tenant_id = sl.tenant_id
            and u.contract_id = sl.contract_id
            and u.scoring_date = sl.scoring_date
    left join go_live as gl
        on
            u.tenant_id = gl.tenant_id
            and u.contract_id = gl.contract_id
            and u.scoring_date = gl.scoring_date
    left join price_changes as pc
        on
            u.tenant_id = pc.tenant_id
            and u.contract_id = pc.contract_id
            and u.scoring_date = pc.scoring_date
    left join list_prices as lpi
        on
            u.tenant_id = lpi.tenant_id
            and u.contract_id = lpi.contract_id
            and u.scoring_date = lpi.scoring_date

)

select * from final
