{#-
    ARR (12 x MRR) per tenant, customer segment and month, split by one dimension at a time:
    the customer's segment, region or partner ('Direct' for customers without one), from
    fct_mrr; or the product of the recurring line, from fct_subscription_line_months. In the
    tenant's reporting currency (arr) and the group currency (arr_group). customers: paying
    customers (MRR > 0) for the customer dimensions, customers with an active line of the
    product for the product dimension; both add up over tenants and segments.
-#}
with

fct_mrr as (

    select * from {{ ref('fct_mrr') }}

),

fct_subscription_line_months as (

    select * from {{ ref('fct_subscription_line_months') }}

),

dim_customer as (

    select * from {{ ref('dim_customer') }}

),

dim_product as (

    select * from {{ ref('dim_product') }}

),

customer_months as (

    select
        fct_mrr.tenant_id,
        dim_customer.segment,
        fct_mrr.month_start,
        dim_customer.region,
        coalesce(dim_customer.partner_name, 'Direct') as partner_label,
        fct_mrr.mrr,
        fct_mrr.mrr_group,
        fct_mrr._batch_ids
    from fct_mrr
    inner join dim_customer
        on fct_mrr.tenant_id = dim_customer.tenant_id
            and fct_mrr.customer_id = dim_customer.customer_id
    -- months without a line in them or the month before (zero MRR long after a churn) add
    -- nothing to ARR or customers, and have no load batch behind them
    where fct_mrr._batch_ids is not null

),

{% for dimension, label in [('segment', 'segment'), ('region', 'region'),
                             ('partner', 'partner_label')] %}
    by_{{ dimension }} as (

        select
            tenant_id,
            segment,
            month_start,
            '{{ dimension }}' as dimension,
            {{ label }} as label,  -- noqa: RF04
            12 * sum(mrr) as arr,
            12 * sum(mrr_group) as arr_group,
            count(case when mrr > 0 then 1 end) as customers,
            {{ batch_ids_agg('_batch_ids') }} as _batch_ids
        from customer_months
        group by tenant_id, segment, month_start, {{ label }}

    ),

{% endfor %}
by_product as (

    select
        line_months.tenant_id,
        dim_customer.segment,
        line_months.month_start,
        'product' as dimension,
        dim_product.product_name as label,  -- noqa: RF04
        12 * sum(line_months.monthly_amount_reporting) as arr,
        12 * sum(line_months.monthly_amount_group) as arr_group,
        count(distinct line_months.customer_id) as customers,
        {{ batch_ids_agg('line_months._batch_id') }} as _batch_ids
    from fct_subscription_line_months as line_months
    inner join dim_product
        on line_months.tenant_id = dim_product.tenant_id
            and line_months.product_id = dim_product.product_id
    inner join dim_customer
        on line_months.tenant_id = dim_customer.tenant_id
            and line_months.customer_id = dim_customer.customer_id
    group by
        line_months.tenant_id,
        dim_customer.segment,
        line_months.month_start,
        dim_product.product_name

),

dimensions as (

    select * from by_segment
    union all
    select * from by_region
    union all
    select * from by_partner
    union all
    select * from by_product

),

final as (

    select
        {{ generate_surrogate_key(['tenant_id', 'segment', 'month_start', 'dimension', 'label']) }}
            as arr_dimension_key,
        *
    from dimensions

)

select * from final
