{#-
    Renewal-risk features of every contract up for renewal: signed before the as-of date and
    ending within the 180 days after it, one row per contract, at the as-of date. What the
    renewal-risk scores are computed from.
-#}
with

snapshot_features as (

    select * from {{ ref('int_renewal_snapshot_features') }}

),

final as (

    select
        tenant_id,
        contract_id,
        customer_id,
        renewal_date,
        days_to_renewal,
        within_90_days,
        within_180_days,
        tenure_months,
        term_months,
        auto_renew,
        is_partner_sourced,
        contract_mrr,
        mrr_now,
        mrr_change_3m,
        mrr_change_6m,
        escalations_60d,
        escalations_180d,
        escalations_365d,
        escalations_renewal_year,
        tickets_180d,
        activation_lag_days,
        first_term_lag_over_30,
        api_usage_trend,
        usage_trend_all,
        api_usage_slope,
        go_live_slip_days,
        price_change_pct,
        list_price_increase_pct,
        billing_exceptions_180d,
        late_payments_180d,
        last_amendment_change_pct,
        segment,
        region,
        contract_type,
        billing_frequency,
        last_amendment_type,
        scoring_date as as_of_date
    from snapshot_features
    where purpose = 'scoring'

)

select * from final
