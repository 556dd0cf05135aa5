"""Renewal-risk features: one row per contract up for renewal within 180 days of an as-of date.

Every feature is built only from rows dated strictly before ``as_of`` (events by their date,
monthly figures from the last complete month before the as-of month), so a model trained on
past as-of dates sees what it would have seen then. Mart columns that describe the state at
the warehouse's own as-of date (``dim_contract.status``, ``current_mrr``, ``is_in_term``,
``dim_customer.customer_status`` ...) are never read.

The renewal signals (escalations, usage, onboarding, prices), beside the account's history:

* ``escalations_365d``: escalated tickets opened in the last 365 days;
  ``escalations_renewal_year``: those opened from 395 to 30 days before the renewal date (the
  year before a renewal is decided), counted up to as_of.
* ``api_usage_trend``: log((API calls in the last 3 complete months + 1) / (the 3 before + 1));
  ``usage_trend_all``: the mean of that log ratio over every metered metric with usage in the
  earlier 3 months. No usage in the earlier months gives 0: there is nothing to compare against.
  ``api_usage_slope``: 3 x the least-squares slope of log monthly API calls over the complete
  months of the current term (the term's growth per 3 months, far less noisy months before the
  renewal); with fewer than 4 such months, the 3-month log ratio.
* ``go_live_slip_days``: the contract's implementation project (its ``Go-live`` milestone in
  ``marts.fct_milestones``): actual minus planned go-live once it went live before as_of; while
  still open past its planned date, the days it is overdue so far (a lower bound of the slip);
  0 without a project or before the planned date. Negative (early) slips count as 0.
* ``first_term_lag_over_30``: for a ``new`` contract, activation lag beyond 30 days (while not
  activated yet, the days since signing so far); 0 for renewals, where onboarding is long past.
* ``price_change_pct``: the sum of the term's price-change amendments signed before as_of (and
  effective by then), each as its MRR delta over the contract's MRR the month before it.
* ``list_price_increase_pct``: how much the price book's list prices of the contract's recurring
  products (its currency and billing period) rose between its signing and as_of, read from
  ``staging.stg_billing__price_book_entries`` (there is no price-book mart); only rows effective
  before as_of count, and ``valid_to`` is never read (it announces the next price).
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

RENEWAL_WINDOW_DAYS = 180
NEAR_WINDOW_DAYS = 90

KEY_COLUMNS = ("tenant_id", "contract_id", "customer_id", "renewal_date", "days_to_renewal",
               "within_90_days", "within_180_days")
NUMERIC_FEATURES = (
    "tenure_months", "term_months", "auto_renew", "is_partner_sourced",
    "contract_mrr", "mrr_now", "mrr_change_3m", "mrr_change_6m",
    "escalations_60d", "escalations_180d", "tickets_180d",
    "activation_lag_days", "billing_exceptions_180d", "late_payments_180d",
    "last_amendment_change_pct",
    "days_to_renewal", "escalations_365d", "escalations_renewal_year",
    "api_usage_trend", "api_usage_slope", "usage_trend_all",
    "go_live_slip_days", "first_term_lag_over_30", "price_change_pct", "list_price_increase_pct",
)
CATEGORICAL_FEATURES = ("segment", "region", "contract_type", "billing_frequency", "last_amendment_type")
# days_to_renewal is both a key and a feature: once in the frame
FEATURE_FRAME_COLUMNS = tuple(dict.fromkeys((*KEY_COLUMNS, *NUMERIC_FEATURES, *CATEGORICAL_FEATURES)))

# $as_of is bound, never formatted in. "Known before as_of" means: event dates < as_of, and
# monthly figures up to ref_month, the last month that ended before the as-of month began.
RENEWAL_FEATURES_SQL = f"""
with

params as (
    select
        cast($as_of as date) as as_of,
        cast(date_trunc('month', cast($as_of as date)) - interval 1 month as date) as ref_month
),

upcoming as (
    select
        c.tenant_id, c.contract_id, c.customer_id, c.contract_type, c.billing_frequency,
        c.term_months, c.auto_renew, c.signed_date, c.start_date, c.end_date as renewal_date,
        date_diff('day', p.as_of, c.end_date) as days_to_renewal,
        -- onboarding weighs on the first renewal only: days beyond 30, or so far if not live yet
        case when c.contract_type = 'new' then greatest(0, coalesce(
            case when c.service_activated_date < p.as_of then c.activation_lag_days end,
            date_diff('day', c.signed_date, p.as_of)) - 30) else 0 end as first_term_lag_over_30,
        -- a lag is only known once the service went live
        case when c.service_activated_date < p.as_of then c.activation_lag_days end
            as activation_lag_days
    from marts.dim_contract as c
    cross join params as p
    where c.signed_date < p.as_of
        and c.end_date > p.as_of
        and c.end_date <= p.as_of + {RENEWAL_WINDOW_DAYS}
),

customer_mrr as (
    select
        u.tenant_id, u.contract_id,
        min(case when m.mrr > 0 then m.month_start end) as first_active_month,
        coalesce(max(case when m.month_start = p.ref_month then m.mrr end), 0) as mrr_now,
        coalesce(max(case when m.month_start = p.ref_month - interval 3 month then m.mrr end), 0)
            as mrr_3m_ago,
        coalesce(max(case when m.month_start = p.ref_month - interval 6 month then m.mrr end), 0)
            as mrr_6m_ago
    from upcoming as u
    cross join params as p
    join marts.fct_mrr as m
        on m.tenant_id = u.tenant_id and m.customer_id = u.customer_id
    where m.month_start <= p.ref_month
    group by u.tenant_id, u.contract_id
),

contract_mrr as (
    select u.tenant_id, u.contract_id, sum(l.monthly_amount_reporting) as contract_mrr
    from upcoming as u
    cross join params as p
    join marts.fct_subscription_line_months as l
        on l.tenant_id = u.tenant_id and l.contract_id = u.contract_id
    where l.month_start = p.ref_month
    group by u.tenant_id, u.contract_id
),

-- per metered metric, the last 3 complete months against the 3 before (log ratio)
metric_trends as (
    select
        u.tenant_id, u.contract_id, d.metric,
        sum(case when d.usage_month > p.ref_month - interval 3 month then d.quantity else 0 end) as last_3m,
        sum(case when d.usage_month <= p.ref_month - interval 3 month then d.quantity else 0 end) as prior_3m
    from upcoming as u
    cross join params as p
    join marts.fct_usage_daily as d
        on d.tenant_id = u.tenant_id and d.customer_id = u.customer_id
    where d.usage_month > p.ref_month - interval 6 month and d.usage_month <= p.ref_month
    group by u.tenant_id, u.contract_id, d.metric
),

-- API calls per complete month of the current term: the slope of their log is the term's
-- growth rate, which the 3-month ratio only sees through a lot of monthly noise
api_months as (
    select u.tenant_id, u.contract_id, d.usage_month, sum(d.quantity) as quantity
    from upcoming as u
    cross join params as p
    join marts.fct_usage_daily as d
        on d.tenant_id = u.tenant_id and d.customer_id = u.customer_id
    where d.metric = 'api_calls' and d.usage_month >= u.start_date and d.usage_month <= p.ref_month
    group by u.tenant_id, u.contract_id, d.usage_month
),

api_slopes as (
    select
        tenant_id, contract_id,
        -- per 3 months, the scale of the ratio; needs 4 months to mean anything
        -- ordered, so parallel threads cannot change the float sums in the last bit
        case when count(*) >= 4 then 3 * regr_slope(
            ln(quantity), date_diff('month', date '2000-01-01', usage_month) order by usage_month)
        end as api_usage_slope
    from api_months
    where quantity > 0
    group by tenant_id, contract_id
),

usage_trends as (
    select
        tenant_id, contract_id,
        max(case when metric = 'api_calls' and prior_3m > 0 then ln((last_3m + 1) / (prior_3m + 1)) end)
            as api_usage_trend,
        avg(case when prior_3m > 0 then ln((last_3m + 1) / (prior_3m + 1)) end order by metric)
            as usage_trend_all
    from metric_trends
    group by tenant_id, contract_id
),

go_live as (
    select
        u.tenant_id, u.contract_id,
        max(case
            when m.completed_date < p.as_of then greatest(0, date_diff('day', m.planned_date, m.completed_date))
            when m.planned_date < p.as_of then date_diff('day', m.planned_date, p.as_of)
            else 0
        end) as go_live_slip_days
    from upcoming as u
    cross join params as p
    join marts.fct_milestones as m
        on m.tenant_id = u.tenant_id and m.contract_id = u.contract_id
    where m.milestone_name = 'Go-live'
    group by u.tenant_id, u.contract_id
),

support as (
    select
        u.tenant_id, u.contract_id,
        count(case when t.is_escalated and t.opened_at >= p.as_of - 60 then 1 end) as escalations_60d,
        count(case when t.is_escalated and t.opened_at >= p.as_of - 180 then 1 end) as escalations_180d,
        count(case when t.is_escalated and t.opened_at >= p.as_of - 365 then 1 end) as escalations_365d,
        -- the year before the renewal decision (a month before the end), as far as it is known
        count(case when t.is_escalated and t.opened_at >= u.renewal_date - 395
                   and t.opened_at < u.renewal_date - 30 then 1 end) as escalations_renewal_year,
        count(case when t.opened_at >= p.as_of - 180 then 1 end) as tickets_180d
    from upcoming as u
    cross join params as p
    join marts.fct_support_tickets as t
        on t.tenant_id = u.tenant_id and t.customer_id = u.customer_id
    where t.opened_at >= least(p.as_of - 365, u.renewal_date - 395) and t.opened_at < p.as_of
    group by u.tenant_id, u.contract_id
),

billing_exceptions as (
    select u.tenant_id, u.contract_id, count(*) as billing_exceptions_180d
    from upcoming as u
    cross join params as p
    join marts.fct_billing_exceptions as e
        on e.tenant_id = u.tenant_id and e.customer_id = u.customer_id
    where e.due_date >= p.as_of - 180 and e.due_date < p.as_of
        -- an exception that rests on a later invoice was not visible yet
        and coalesce(e.first_invoice_date, e.due_date) < p.as_of
    group by u.tenant_id, u.contract_id
),

late_payments as (
    select u.tenant_id, u.contract_id, count(*) as late_payments_180d
    from upcoming as u
    cross join params as p
    join marts.fct_payments as pay
        on pay.tenant_id = u.tenant_id and pay.customer_id = u.customer_id
    where pay.received_date >= p.as_of - 180 and pay.received_date < p.as_of
        and pay.is_succeeded and pay.days_after_due > 0
    group by u.tenant_id, u.contract_id
),

amendments as (
    select
        u.tenant_id, u.contract_id, a.amendment_type, a.mrr_delta, a.effective_date,
        row_number() over (
            partition by u.tenant_id, u.contract_id
            order by a.effective_date desc, a.signed_date desc, a.amendment_id desc
        ) as recency
    from upcoming as u
    cross join params as p
    join staging.stg_crm__contract_amendments as a
        on a.tenant_id = u.tenant_id and a.contract_id = u.contract_id
    -- signed before as_of is known; one taking effect on as_of itself already counts
    where a.signed_date < p.as_of and a.effective_date <= p.as_of
),

-- each amendment's MRR delta against the contract's MRR (contract currency, like mrr_delta)
-- the month before it took effect
amendment_changes as (
    select
        a.tenant_id, a.contract_id, a.amendment_type, a.mrr_delta, a.recency,
        100.0 * a.mrr_delta / nullif(sum(l.monthly_amount), 0) as change_pct
    from amendments as a
    left join marts.fct_subscription_line_months as l
        on l.tenant_id = a.tenant_id and l.contract_id = a.contract_id
        and l.month_start = cast(date_trunc('month', a.effective_date) - interval 1 month as date)
    group by a.tenant_id, a.contract_id, a.amendment_type, a.mrr_delta, a.recency
),

last_amendment as (
    select tenant_id, contract_id, amendment_type, mrr_delta, change_pct
    from amendment_changes
    where recency = 1
),

price_changes as (
    select tenant_id, contract_id, sum(coalesce(change_pct, 0)) as price_change_pct
    from amendment_changes
    where amendment_type = 'price_change'
    group by tenant_id, contract_id
),

-- list prices known at as_of: valid_to is never read, it announces the next price
known_prices as (
    select e.tenant_id, e.product_id, e.currency, e.billing_period, e.unit_price, e.valid_from
    from staging.stg_billing__price_book_entries as e
    cross join params as p
    where e.valid_from < p.as_of
),

recurring_lines as (
    select u.tenant_id, u.contract_id, u.signed_date, l.line_item_id, l.product_id, l.currency, l.billing_period, l.quantity
    from upcoming as u
    cross join params as p
    join staging.stg_billing__subscription_line_items as l
        on l.tenant_id = u.tenant_id and l.contract_id = u.contract_id
    where l.billing_model = 'recurring' and l.start_date < p.as_of
),

line_list_prices as (
    select
        r.tenant_id, r.contract_id, r.line_item_id, r.quantity,
        arg_max(k.unit_price, k.valid_from) filter (where k.valid_from <= r.signed_date) as price_at_signing,
        arg_max(k.unit_price, k.valid_from) as price_now
    from recurring_lines as r
    join known_prices as k
        on k.tenant_id = r.tenant_id and k.product_id = r.product_id
        and k.currency = r.currency and k.billing_period = r.billing_period
    group by r.tenant_id, r.contract_id, r.line_item_id, r.quantity
),

list_prices as (
    select
        tenant_id, contract_id,
        100.0 * (sum(quantity * price_now) / nullif(sum(quantity * price_at_signing), 0) - 1)
            as list_price_increase_pct
    from line_list_prices
    where price_at_signing is not null
    group by tenant_id, contract_id
)

select
    u.tenant_id, u.contract_id, u.customer_id, u.renewal_date, u.days_to_renewal,
    u.days_to_renewal <= {NEAR_WINDOW_DAYS} as within_90_days,
    true as within_180_days,
    coalesce(date_diff('month', cm.first_active_month, p.ref_month) + 1, 0) as tenure_months,
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
cross join params as p
left join marts.dim_customer as cu on cu.tenant_id = u.tenant_id and cu.customer_id = u.customer_id
left join customer_mrr as cm on cm.tenant_id = u.tenant_id and cm.contract_id = u.contract_id
left join contract_mrr as k on k.tenant_id = u.tenant_id and k.contract_id = u.contract_id
left join support as s on s.tenant_id = u.tenant_id and s.contract_id = u.contract_id
left join billing_exceptions as be on be.tenant_id = u.tenant_id and be.contract_id = u.contract_id
left join late_payments as lp on lp.tenant_id = u.tenant_id and lp.contract_id = u.contract_id
left join last_amendment as la on la.tenant_id = u.tenant_id and la.contract_id = u.contract_id
left join usage_trends as ut on ut.tenant_id = u.tenant_id and ut.contract_id = u.contract_id
left join api_slopes as sl on sl.tenant_id = u.tenant_id and sl.contract_id = u.contract_id
left join go_live as gl on gl.tenant_id = u.tenant_id and gl.contract_id = u.contract_id
left join price_changes as pc on pc.tenant_id = u.tenant_id and pc.contract_id = u.contract_id
left join list_prices as lpi on lpi.tenant_id = u.tenant_id and lpi.contract_id = u.contract_id
order by u.tenant_id, u.contract_id
"""


def renewal_features(con: duckdb.DuckDBPyConnection, as_of: date) -> pd.DataFrame:
    """One row per contract whose end date falls in (as_of, as_of + 180 days], keys then features."""
    frame = con.execute(RENEWAL_FEATURES_SQL, {"as_of": as_of}).df()
    numeric = list(NUMERIC_FEATURES)
    # DECIMAL sums arrive as objects; the models want floats (NaN where unknown)
    frame[numeric] = frame[numeric].astype("float64")
    return frame[list(FEATURE_FRAME_COLUMNS)]
