{#-
    The margin rollups add up to the customer-month margin: per tenant and month, the
    segment rollup and kpi_margin agree in the reporting and the group currency; per month,
    the consolidated model equals kpi_margin over every tenant in the group currency; and
    the partner rollup equals kpi_margin over partner-sourced customers.
-#}
with

customer_months as (

    select
        tenant_id,
        month_start,
        sum(margin_reporting) as margin_reporting,
        sum(margin_group) as margin_group,
        sum(case when is_partner_sourced then margin_reporting else 0 end)
            as partner_margin_reporting
    from {{ ref('kpi_margin') }}
    group by 1, 2

),

by_segment as (

    select
        tenant_id,
        month_start,
        sum(margin_reporting) as margin_reporting,
        sum(margin_group) as margin_group
    from {{ ref('kpi_margin_by_segment') }}
    group by 1, 2

),

by_partner as (

    select
        tenant_id,
        month_start,
        sum(margin_reporting) as margin_reporting
    from {{ ref('kpi_margin_by_partner') }}
    group by 1, 2

),

consolidated as (

    select
        month_start,
        sum(margin_group) as margin_group
    from {{ ref('kpi_margin_consolidated') }}
    group by 1

),

all_tenants as (

    select
        month_start,
        sum(margin_group) as margin_group
    from customer_months
    group by 1

)

select
    'segment' as rollup_name,
    customer_months.tenant_id,
    customer_months.month_start
from customer_months
left join by_segment
    on customer_months.tenant_id = by_segment.tenant_id
        and customer_months.month_start = by_segment.month_start
where by_segment.margin_reporting is null
    or by_segment.margin_reporting <> customer_months.margin_reporting
    or by_segment.margin_group <> customer_months.margin_group

union all

select
    'partner' as rollup_name,
    customer_months.tenant_id,
    customer_months.month_start
from customer_months
left join by_partner
    on customer_months.tenant_id = by_partner.tenant_id
        and customer_months.month_start = by_partner.month_start
where coalesce(by_partner.margin_reporting, 0) <> customer_months.partner_margin_reporting

union all

select
    'consolidated' as rollup_name,
    'ALL' as tenant_id,
    all_tenants.month_start
from all_tenants
left join consolidated
    on all_tenants.month_start = consolidated.month_start
where consolidated.margin_group is null
    or consolidated.margin_group <> all_tenants.margin_group
