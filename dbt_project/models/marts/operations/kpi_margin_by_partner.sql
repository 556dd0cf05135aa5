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

    {{ margin_rollup('margin', ['tenant_id', 'partner_id', 'month_start', 'reporting_currency']) }}

)

select * from final
