{#-
    Contribution margin per customer and month.
      net_revenue        = invoice subtotals (void excluded) by invoice month - credit notes
                           (void excluded) by month issued;
      device_cost        = devices deployed in the month x unit cost of the project's purchase
                           order (standard cost without one), from fct_device_deployments;
      partner_commission = gross invoiced revenue x the sourcing partner's commission_pct / 100
                           (the basis partner statements use);
      pass_through_cost  = purchase orders placed for the customer's projects with logistics or
                           services vendors (re-charged third-party costs), by order month;
      direct_cost        = device_cost + partner_commission + pass_through_cost;
      margin             = net_revenue - direct_cost.
    Amounts in the customer's billing currency (each component converted at its month's rate
    and rounded to cents), then each component converted to the tenant's reporting currency
    and the group currency; margin is recomputed from the converted components, so the
    identity holds exactly in every currency.
    _batch_ids: the load batches of the month's invoices and credit notes, device deployments
    (with their cost source), pass-through purchase orders (with their receipts) and projects,
    and of the sourcing partner (its commission rate).
-#}
with

stg_crm__customers as (

    select * from {{ ref('stg_crm__customers') }}

),

stg_partners__partners as (

    select * from {{ ref('stg_partners__partners') }}

),

stg_finance__tenants as (

    select * from {{ ref('stg_finance__tenants') }}

),

stg_projects__implementation_projects as (

    select * from {{ ref('stg_projects__implementation_projects') }}

),

int_customer_revenue_monthly as (

    select * from {{ ref('int_customer_revenue_monthly') }}

),

fct_device_deployments as (

    select * from {{ ref('fct_device_deployments') }}

),

fct_purchase_orders as (

    select * from {{ ref('fct_purchase_orders') }}

),

customers as (

    select
        tenant_id,
        customer_id,
        segment,
        partner_id,
        billing_currency
    from stg_crm__customers

),

partners as (

    select
        tenant_id,
        partner_id,
        commission_pct,
        _batch_id
    from stg_partners__partners

),

tenants as (

    select
        tenant_id,
        reporting_currency
    from stg_finance__tenants

),

projects as (

    select
        tenant_id,
        project_id,
        customer_id,
        _batch_id
    from stg_projects__implementation_projects

),

components as (

    select
        tenant_id,
        customer_id,
        month_start,
        currency,
        invoiced_amount,
        credited_amount,
        cast(0 as decimal(18, 2)) as device_cost,
        cast(0 as decimal(18, 2)) as pass_through_cost,
        _batch_ids
    from int_customer_revenue_monthly

    union all

    select
        tenant_id,
        customer_id,
        cast({{ dbt.date_trunc('month', 'deployed_date') }} as date) as month_start,
        currency,
        cast(0 as decimal(18, 2)) as invoiced_amount,
        cast(0 as decimal(18, 2)) as credited_amount,
        device_cost,
        cast(0 as decimal(18, 2)) as pass_through_cost,
        _batch_ids
    from fct_device_deployments
    where is_deployed

    union all

    select
        purchase_orders.tenant_id,
        projects.customer_id,
        purchase_orders.ordered_month as month_start,
        purchase_orders.currency,
        cast(0 as decimal(18, 2)) as invoiced_amount,
        cast(0 as decimal(18, 2)) as credited_amount,
        cast(0 as decimal(18, 2)) as device_cost,
        purchase_orders.order_amount as pass_through_cost,
        {{ batch_ids_concat(['purchase_orders._batch_ids', 'projects._batch_id']) }} as _batch_ids
    from fct_purchase_orders as purchase_orders
    inner join projects
        on purchase_orders.tenant_id = projects.tenant_id
            and purchase_orders.project_id = projects.project_id
    where purchase_orders.vendor_category in ('logistics', 'services')
        and purchase_orders.status <> 'cancelled'

),

in_customer_currency as (

    select
        components.tenant_id,
        components.customer_id,
        components.month_start,
        customers.billing_currency as currency,
        sum({{ fx_convert_amount('components.invoiced_amount', 'to_customer.rate') }})
            as invoiced_revenue,
        sum({{ fx_convert_amount('components.credited_amount', 'to_customer.rate') }})
            as credited_revenue,
        sum({{ fx_convert_amount('components.device_cost', 'to_customer.rate') }}) as device_cost,
        sum({{ fx_convert_amount('components.pass_through_cost', 'to_customer.rate') }})
            as pass_through_cost,
        {{ batch_ids_agg('components._batch_ids') }} as _batch_ids
    from components
    inner join customers
        on components.tenant_id = customers.tenant_id
            and components.customer_id = customers.customer_id
    {{ fx_join_rate(
        'to_customer', 'components.tenant_id', 'components.month_start', 'components.currency',
        'customers.billing_currency', cap_at_as_of_month=true
    ) }}
    where components.month_start <= {{ as_of_date() }}
    group by 1, 2, 3, 4

),

with_commission as (

    select
        in_customer_currency.tenant_id,
        in_customer_currency.customer_id,
        in_customer_currency.month_start,
        customers.segment,
        customers.partner_id,
        coalesce(customers.partner_id is not null, false) as is_partner_sourced,
        partners.commission_pct as partner_commission_pct,
        in_customer_currency.currency,
        tenants.reporting_currency,
        cast(in_customer_currency.invoiced_revenue as decimal(18, 2)) as invoiced_revenue,
        cast(in_customer_currency.credited_revenue as decimal(18, 2)) as credited_revenue,
        cast(
            in_customer_currency.invoiced_revenue
            - in_customer_currency.credited_revenue as decimal(18, 2)
        )
            as net_revenue,
        cast(in_customer_currency.device_cost as decimal(18, 2)) as device_cost,
        cast(
            round(
                in_customer_currency.invoiced_revenue * coalesce(partners.commission_pct, 0) / 100,
                2
            )
            as decimal(18, 2)
        ) as partner_commission,
        cast(in_customer_currency.pass_through_cost as decimal(18, 2)) as pass_through_cost,
        {{ batch_ids_concat(['in_customer_currency._batch_ids', 'partners._batch_id']) }}
            as _batch_ids
    from in_customer_currency
    inner join customers
        on in_customer_currency.tenant_id = customers.tenant_id
            and in_customer_currency.customer_id = customers.customer_id
    left join partners
        on customers.tenant_id = partners.tenant_id
            and customers.partner_id = partners.partner_id
    left join tenants
        on in_customer_currency.tenant_id = tenants.tenant_id

),

converted as (

    select
        with_commission.*,
        cast(
            with_commission.device_cost
            + with_commission.partner_commission
            + with_commission.pass_through_cost as decimal(18, 2)
        ) as direct_cost,
        {{ fx_convert_amount('with_commission.net_revenue', 'to_reporting.rate') }}
            as net_revenue_reporting,
        {{ fx_convert_amount('with_commission.device_cost', 'to_reporting.rate') }}
            as device_cost_reporting,
        {{ fx_convert_amount('with_commission.partner_commission', 'to_reporting.rate') }}
            as partner_commission_reporting,
        {{ fx_convert_amount('with_commission.pass_through_cost', 'to_reporting.rate') }}
            as pass_through_cost_reporting,
        {{ fx_convert_amount('with_commission.net_revenue', 'to_group.rate') }}
            as net_revenue_group,
        {{ fx_convert_amount('with_commission.device_cost', 'to_group.rate') }}
            as device_cost_group,
        {{ fx_convert_amount('with_commission.partner_commission', 'to_group.rate') }}
            as partner_commission_group,
        {{ fx_convert_amount('with_commission.pass_through_cost', 'to_group.rate') }}
            as pass_through_cost_group
    from with_commission
    {{ fx_join_rate(
        'to_reporting', 'with_commission.tenant_id', 'with_commission.month_start',
        'with_commission.currency', 'with_commission.reporting_currency', cap_at_as_of_month=true
    ) }}
    {{ fx_join_rate(
        'to_group', 'with_commission.tenant_id', 'with_commission.month_start',
        'with_commission.currency', "'" ~ var('group_currency') ~ "'", cap_at_as_of_month=true
    ) }}

),

final as (

    select
        tenant_id,
        customer_id,
        month_start,
        segment,
        partner_id,
        is_partner_sourced,
        partner_commission_pct,
        currency,
        invoiced_revenue,
        credited_revenue,
        net_revenue,
        device_cost,
        partner_commission,
        pass_through_cost,
        direct_cost,
        cast(net_revenue - direct_cost as decimal(18, 2)) as margin,
        case when net_revenue = 0 then null
            else cast(net_revenue - direct_cost as {{ operations_type_double() }}) / net_revenue
        end as margin_pct,
        reporting_currency,
        net_revenue_reporting,
        device_cost_reporting,
        partner_commission_reporting,
        pass_through_cost_reporting,
        cast(
            device_cost_reporting
            + partner_commission_reporting
            + pass_through_cost_reporting as decimal(18, 2)
        )
            as direct_cost_reporting,
        cast(
            net_revenue_reporting
            - device_cost_reporting
            - partner_commission_reporting
            - pass_through_cost_reporting
            as decimal(18, 2)
        ) as margin_reporting,
        net_revenue_group,
        device_cost_group,
        partner_commission_group,
        pass_through_cost_group,
        cast(
            device_cost_group + partner_commission_group + pass_through_cost_group as decimal(18, 2)
        )
            as direct_cost_group,
        cast(
            net_revenue_group
            - device_cost_group
            - partner_commission_group
            - pass_through_cost_group
            as decimal(18, 2)
        ) as margin_group,
        _batch_ids
    from converted

)

select * from final
