{#-
    One row per partner (reseller, referral, implementation, white-label) with the number of
    customers it sourced.
-#}
with

partners as (

    select * from {{ ref('stg_partners__partners') }}

),

stg_crm__customers as (

    select * from {{ ref('stg_crm__customers') }}

),

sourced as (

    select
        tenant_id,
        partner_id,
        count(*) as sourced_customers
    from stg_crm__customers
    where partner_id is not null
    group by tenant_id, partner_id

),

final as (

    select
        partners.partner_key,
        partners.tenant_id,
        partners.partner_id,
        partners.partner_name,
        partners.partner_type,
        partners.currency,
        partners.country_code,
        partners.commission_pct,
        partners.is_active,
        coalesce(sourced.sourced_customers, 0) as sourced_customers,
        partners._batch_id,
        partners._loaded_at
    from partners
    left join sourced
        on partners.tenant_id = sourced.tenant_id
            and partners.partner_id = sourced.partner_id

)

select * from final
