{#-
    Margin per tenant, customer segment and month: kpi_margin summed, in the tenant's
    reporting currency and the group currency.
-#}
with

margin as (

    select * from {{ ref('kpi_margin') }}

),

final as (

    {{ margin_rollup('margin', ['tenant_id', 'segment', 'month_start', 'reporting_currency']) }}

)

select * from final
