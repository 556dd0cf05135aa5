{#-
    Margin of partner-sourced customers per tenant, partner and month: kpi_margin summed, in
    the tenant's reporting currency and the group currency; partner_commission is the
    partner margin taken out of the customers' revenue.
-#}
with

margin as (

    select * from {{ ref('kpi_margin') }}
    where is_partner_sourced

),

final as (

    select
        tenant_id,
        partner_id,
        month_start,
        reporting_currency,
        count(*) as customers,
        sum(net_revenue_reporting) as net_revenue_reporting,
        sum(device_cost_reporting) as device_cost_reporting,
        sum(partner_commission_reporting) as partner_commission_reporting,
        sum(pass_through_cost_reporting) as pass_through_cost_reporting,
        sum(direct_cost_reporting) as direct_cost_reporting,
        sum(margin_reporting) as margin_reporting,
        case when sum(net_revenue_reporting) = 0 then null
            else cast(sum(margin_reporting) as {{ operations_type_double() }}) / sum(net_revenue_reporting)
        end as margin_pct,
        sum(net_revenue_group) as net_revenue_group,
        sum(direct_cost_group) as direct_cost_group,
        sum(margin_group) as margin_group
    from margin
    group by 1, 2, 3, 4

)

select * from final
