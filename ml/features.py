"""Renewal-risk features: one row per contract up for renewal within 180 days of an as-of date.

Every feature is built only from rows dated strictly before ``as_of`` (events by their date,
monthly figures from the last complete month before the as-of month), so a model trained on
past as-of dates sees what it would have seen then. Mart columns that describe the state at
the warehouse's own as-of date (``dim_contract.status``, ``current_mrr``, ``is_in_term``,
``dim_customer.customer_status`` ...) are never read.
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
    "usage_last_90d", "usage_trend",
    "escalations_60d", "escalations_180d", "tickets_180d",
    "activation_lag_days", "billing_exceptions_180d", "late_payments_180d",
    "last_amendment_mrr_delta", "last_amendment_change_pct",
)
CATEGORICAL_FEATURES = ("segment", "region", "contract_type", "billing_frequency", "last_amendment_type")

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
        c.term_months, c.auto_renew, c.end_date as renewal_date,
        date_diff('day', p.as_of, c.end_date) as days_to_renewal,
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

usage as (
    select
        u.tenant_id, u.contract_id,
        sum(case when d.usage_date >= p.as_of - 90 then d.quantity else 0 end) as usage_last_90d,
        sum(case when d.usage_date < p.as_of - 90 then d.quantity else 0 end) as usage_prior_90d
    from upcoming as u
    cross join params as p
    join marts.fct_usage_daily as d
        on d.tenant_id = u.tenant_id and d.customer_id = u.customer_id
    where d.usage_date >= p.as_of - 180 and d.usage_date < p.as_of
    group by u.tenant_id, u.contract_id
),

support as (
    select
        u.tenant_id, u.contract_id,
        count(case when t.is_escalated and t.opened_at >= p.as_of - 60 then 1 end) as escalations_60d,
        count(case when t.is_escalated then 1 end) as escalations_180d,
        count(*) as tickets_180d
    from upcoming as u
    cross join params as p
    join marts.fct_support_tickets as t
        on t.tenant_id = u.tenant_id and t.customer_id = u.customer_id
    where t.opened_at >= p.as_of - 180 and t.opened_at < p.as_of
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
    where a.signed_date < p.as_of and a.effective_date < p.as_of
),

last_amendment as (
    select
        a.tenant_id, a.contract_id, a.amendment_type, a.mrr_delta,
        -- against the contract's MRR (contract currency, like mrr_delta) the month before
        100.0 * a.mrr_delta / nullif(sum(l.monthly_amount), 0) as change_pct
    from amendments as a
    left join marts.fct_subscription_line_months as l
        on l.tenant_id = a.tenant_id and l.contract_id = a.contract_id
        and l.month_start = cast(date_trunc('month', a.effective_date) - interval 1 month as date)
    where a.recency = 1
    group by a.tenant_id, a.contract_id, a.amendment_type, a.mrr_delta
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
    coalesce(us.usage_last_90d, 0) as usage_last_90d,
    -- relative change, last 90 days against the 90 before; unknown without earlier usage
    us.usage_last_90d / nullif(us.usage_prior_90d, 0) - 1 as usage_trend,
    coalesce(s.escalations_60d, 0) as escalations_60d,
    coalesce(s.escalations_180d, 0) as escalations_180d,
    coalesce(s.tickets_180d, 0) as tickets_180d,
    u.activation_lag_days,
    coalesce(be.billing_exceptions_180d, 0) as billing_exceptions_180d,
    coalesce(lp.late_payments_180d, 0) as late_payments_180d,
    coalesce(la.mrr_delta, 0) as last_amendment_mrr_delta,
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
left join usage as us on us.tenant_id = u.tenant_id and us.contract_id = u.contract_id
left join support as s on s.tenant_id = u.tenant_id and s.contract_id = u.contract_id
left join billing_exceptions as be on be.tenant_id = u.tenant_id and be.contract_id = u.contract_id
left join late_payments as lp on lp.tenant_id = u.tenant_id and lp.contract_id = u.contract_id
left join last_amendment as la on la.tenant_id = u.tenant_id and la.contract_id = u.contract_id
order by u.tenant_id, u.contract_id
"""


def renewal_features(con: duckdb.DuckDBPyConnection, as_of: date) -> pd.DataFrame:
    """One row per contract whose end date falls in (as_of, as_of + 180 days], keys then features."""
    frame = con.execute(RENEWAL_FEATURES_SQL, {"as_of": as_of}).df()
    numeric = list(NUMERIC_FEATURES)
    # DECIMAL sums arrive as objects; the models want floats (NaN where unknown)
    frame[numeric] = frame[numeric].astype("float64")
    return frame[[*KEY_COLUMNS, *NUMERIC_FEATURES, *CATEGORICAL_FEATURES]]
