{#-
    One row per signed contract (first terms and renewals): parties, term, value, activation
    lag (signed -> service activated, days), whether its term covers the as-of date, and the
    recurring MRR of its lines in the as-of month (reporting currency).
-#}
with

contracts as (

    select * from {{ ref('stg_crm__contracts') }}

),

fct_subscription_line_months as (

    select * from {{ ref('fct_subscription_line_months') }}

),

line_months as (

    select
        tenant_id,
        contract_id,
        sum(monthly_amount_reporting) as current_mrr
    from fct_subscription_line_months
    where month_start = cast({{ dbt.date_trunc('month', as_of_date()) }} as date)
    group by tenant_id, contract_id

),

final as (

    select
        contracts.contract_key,
        contracts.customer_key,
        contracts.partner_key,
        contracts.opportunity_key,
        {{ generate_foreign_key(['contracts.tenant_id', 'contracts.renewed_from_contract_id']) }}
            as renewed_from_contract_key,
        contracts.tenant_id,
        contracts.contract_id,
        contracts.customer_id,
        contracts.partner_id,
        contracts.opportunity_id,
        contracts.renewed_from_contract_id,
        contracts.contract_type,
        contracts.status,
        contracts.billing_frequency,
        contracts.currency,
        contracts.term_months,
        contracts.payment_terms_days,
        contracts.total_contract_value,
        contracts.auto_renew,
        contracts.signed_date,
        contracts.service_activated_date,
        contracts.start_date,
        contracts.end_date,
        {{ dbt.datediff('contracts.signed_date', 'contracts.service_activated_date', 'day') }}
            as activation_lag_days,
        case
            when contracts.start_date <= {{ as_of_date() }}
                and contracts.end_date > {{ as_of_date() }}
                then true
            else false
        end as is_in_term,
        coalesce(line_months.current_mrr, 0) as current_mrr,
        contracts._batch_id,
        contracts._loaded_at
    from contracts
    left join line_months
        on contracts.tenant_id = line_months.tenant_id
            and contracts.contract_id = line_months.contract_id

)

select * from final
