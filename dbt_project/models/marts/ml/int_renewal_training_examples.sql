{#-
    What the renewal-risk model is trained on: every contract decided by the as-of date, at
    each of its scoring dates (the first of each month from which its end is 1 to 180 days
    away), with the features it had on that date and its outcome and label.
-#}
with

snapshot_features as (

    select * from {{ ref('int_renewal_snapshot_features') }}

),

outcomes as (

    select * from {{ ref('int_renewal_outcomes') }}

),

final as (

    select
        f.scoring_date,
        f.tenant_id,
        f.contract_id,
        f.customer_id,
        f.renewal_date,
        f.days_to_renewal,
        f.within_90_days,
        f.within_180_days,
        f.tenure_months,
        f.term_months,
        f.auto_renew,
        f.is_partner_sourced,
        f.contract_mrr,
        f.mrr_now,
        f.mrr_change_3m,
        f.mrr_change_6m,
        f.escalations_60d,
        f.escalations_180d,
        f.escalations_365d,
        f.escalations_renewal_year,
        f.tickets_180d,
        f.activation_lag_days,
        f.first_term_lag_over_30,
        f.api_usage_trend,
        f.usage_trend_all,
        f.api_usage_slope,
        f.go_live_slip_days,
        f.price_change_pct,
        f.list_price_increase_pct,
        f.billing_exceptions_180d,
        f.late_payments_180d,
        f.last_amendment_change_pct,
        f.segment,
        f.region,
        f.contract_type,
        f.billing_frequency,
        f.last_amendment_type,
        o.outcome,
        o.label,
        o.as_of_date
    from snapshot_features as f
    inner join outcomes as o
        on f.tenant_id = o.tenant_id and f.contract_id = o.contract_id
    where f.purpose = 'training'

)

select * from final
