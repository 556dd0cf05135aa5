{#-
    One row per customer account: CRM attributes (segment, region, industry, partner that
    sourced it) and its MRR history from fct_mrr - first and last month with MRR > 0, MRR in
    the as-of month (reporting and group currency) and a status: active (MRR > 0 in the as-of
    month), churned (had MRR, none now) or never_active (no recurring revenue yet).
-#}
with

customers as (

    select * from {{ ref('stg_crm__customers') }}

),

customer_months as (

    select * from {{ ref('fct_mrr') }}

),

stg_partners__partners as (

    select * from {{ ref('stg_partners__partners') }}

),

stg_finance__tenants as (

    select * from {{ ref('stg_finance__tenants') }}

),

partners as (

    select
        tenant_id,
        partner_id,
        partner_name,
        partner_type
    from stg_partners__partners

),

tenants as (

    select
        tenant_id,
        reporting_currency
    from stg_finance__tenants

),

history as (

    select
        tenant_id,
        customer_id,
        min(first_mrr_month) as first_active_month,
        max(case when mrr > 0 then month_start end) as last_active_month,
        count(case when movement_type = 'churn' then 1 end) as churn_count,
        count(case when movement_type = 'reactivation' then 1 end) as reactivation_count
    from customer_months
    group by tenant_id, customer_id

),

as_of_month as (

    select
        tenant_id,
        customer_id,
        mrr,
        mrr_group
    from customer_months
    where month_start = cast({{ dbt.date_trunc('month', as_of_date()) }} as date)

),

final as (

    select
        customers.customer_key,
        customers.partner_key,
        customers.tenant_id,
        customers.customer_id,
        customers.customer_name,
        customers.segment,
        customers.region,
        customers.industry,
        customers.country_code,
        customers.billing_currency,
        customers.partner_id,
        partners.partner_name,
        partners.partner_type,
        coalesce(customers.partner_id is not null, false) as is_partner_sourced,
        customers.created_at,
        history.first_active_month,
        history.last_active_month,
        coalesce(history.churn_count, 0) as churn_count,
        coalesce(history.reactivation_count, 0) as reactivation_count,
        tenants.reporting_currency,
        coalesce(as_of_month.mrr, 0) as current_mrr,
        12 * coalesce(as_of_month.mrr, 0) as current_arr,
        '{{ var("group_currency") }}' as group_currency,
        coalesce(as_of_month.mrr_group, 0) as current_mrr_group,
        case
            when as_of_month.mrr > 0 then 'active'
            when history.first_active_month is not null then 'churned'
            else 'never_active'
        end as customer_status,
        customers._batch_id,
        customers._loaded_at
    from customers
    left join partners
        on customers.tenant_id = partners.tenant_id
            and customers.partner_id = partners.partner_id
    left join tenants
        on customers.tenant_id = tenants.tenant_id
    left join history
        on customers.tenant_id = history.tenant_id
            and customers.customer_id = history.customer_id
    left join as_of_month
        on customers.tenant_id = as_of_month.tenant_id
            and customers.customer_id = as_of_month.customer_id

)

select * from final
