{#-
    Accounts receivable aging per tenant, month and currency, at month end (the as-of date for
    the as-of month): open receivables (int_receivables_month_end) by days past due — current
    (not yet due), 1-30, 31-60, 61-90, 90+ — and DSO.

    DSO = AR at month end / invoiced (invoice totals, tax included, void excluded) in the 90
    days ending at month end x 90; null when nothing was invoiced in those 90 days.
    Amounts also in the tenant's reporting currency and the group currency at the month's rate.
-#}
with

receivables as (

    select * from {{ ref('int_receivables_month_end') }}

),

invoices as (

    select * from {{ ref('stg_billing__invoices') }}
    where status <> 'void'
        and invoice_date <= {{ as_of_date() }}

),

stg_finance__tenants as (

    select * from {{ ref('stg_finance__tenants') }}

),

tenants as (

    select
        tenant_id,
        reporting_currency
    from stg_finance__tenants

),

month_ends as (

    select distinct
        month_start,
        month_end
    from receivables

),

aged as (

    select
        tenant_id,
        month_start,
        currency,
        count(*) as open_invoice_count,
        sum(open_amount) as ar_total_amount,
        sum(case when aging_bucket = 'current' then open_amount else 0 end) as ar_current_amount,
        sum(case when aging_bucket = '1-30' then open_amount else 0 end) as ar_1_30_amount,
        sum(case when aging_bucket = '31-60' then open_amount else 0 end) as ar_31_60_amount,
        sum(case when aging_bucket = '61-90' then open_amount else 0 end) as ar_61_90_amount,
        sum(case when aging_bucket = '90+' then open_amount else 0 end) as ar_over_90_amount,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from receivables
    group by tenant_id, month_start, currency

),

billed_90_days as (

    select
        invoices.tenant_id,
        month_ends.month_start,
        invoices.currency,
        sum(invoices.total_amount) as billed_last_90_days_amount,
        {{ batch_ids_agg('invoices._batch_id') }} as _batch_ids
    from invoices
    inner join month_ends
        on invoices.invoice_date <= month_ends.month_end
            and invoices.invoice_date
            > cast({{ dbt.dateadd('day', -90, 'month_ends.month_end') }} as date)
    group by invoices.tenant_id, month_ends.month_start, invoices.currency

),

combined as (

    select
        coalesce(aged.tenant_id, billed_90_days.tenant_id) as tenant_id,
        coalesce(aged.month_start, billed_90_days.month_start) as aging_month,
        coalesce(aged.currency, billed_90_days.currency) as currency,
        coalesce(aged.open_invoice_count, 0) as open_invoice_count,
        coalesce(aged.ar_total_amount, 0) as ar_total_amount,
        coalesce(aged.ar_current_amount, 0) as ar_current_amount,
        coalesce(aged.ar_1_30_amount, 0) as ar_1_30_amount,
        coalesce(aged.ar_31_60_amount, 0) as ar_31_60_amount,
        coalesce(aged.ar_61_90_amount, 0) as ar_61_90_amount,
        coalesce(aged.ar_over_90_amount, 0) as ar_over_90_amount,
        coalesce(billed_90_days.billed_last_90_days_amount, 0) as billed_last_90_days_amount,
        {{ batch_ids_concat(['aged._batch_ids', 'billed_90_days._batch_ids']) }} as _batch_ids
    from aged
    full outer join billed_90_days
        on aged.tenant_id = billed_90_days.tenant_id
            and aged.month_start = billed_90_days.month_start
            and aged.currency = billed_90_days.currency

),

final as (

    select
        {{ generate_surrogate_key([
            'combined.tenant_id', 'combined.aging_month', 'combined.currency'
        ]) }}
            as ar_aging_key,
        combined.tenant_id,
        combined.aging_month,
        month_ends.month_end as aging_date,
        combined.currency,
        tenants.reporting_currency,
        '{{ var("group_currency") }}' as group_currency,
        combined.open_invoice_count,
        {{ fx_convert_columns([
            'ar_total_amount', 'ar_current_amount', 'ar_1_30_amount', 'ar_31_60_amount',
            'ar_61_90_amount', 'ar_over_90_amount', 'billed_last_90_days_amount'], 'fx_reporting.rate', 'fx_group.rate') }},
        case
            when combined.billed_last_90_days_amount > 0
                then cast(
                        combined.ar_total_amount
                        * 90
                        / combined.billed_last_90_days_amount as decimal(18, 1)
                    )
        end as dso_days,
        combined._batch_ids
    from combined
    inner join month_ends
        on combined.aging_month = month_ends.month_start
    left join tenants
        on combined.tenant_id = tenants.tenant_id
    {{ fx_join_rate(
        'fx_reporting', 'combined.tenant_id', 'combined.aging_month', 'combined.currency',
        'tenants.reporting_currency'
    ) }}
    {{ fx_join_rate(
        'fx_group', 'combined.tenant_id', 'combined.aging_month', 'combined.currency',
        "'" ~ var('group_currency') ~ "'"
    ) }}

)

select * from final
