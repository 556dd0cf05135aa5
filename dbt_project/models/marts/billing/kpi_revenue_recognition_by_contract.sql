{#-
    Revenue recognition balances per tenant, customer, contract (null for invoices sold outside
    any contract) and month, from the account's first activity to the as-of month.

    Flows of the month: billed = valid (non-void) invoice lines by invoice date; credited =
    valid credit notes by issue date; net billed = billed - credited; recognised = the revenue
    schedule. Balances at month end from the running position net billed - recognised since
    the start: deferred revenue = the position where positive, unbilled (accrued) revenue =
    minus the position where negative. Hence, every month:
    net billed - recognised = (deferred closing - opening) - (unbilled closing - opening).
    _batch_ids: the load batches of every flow of the account up to the month (invoice lines
    and invoices, credit notes, the revenue schedule's obligations), as the balances rest on
    them all.
-#}
with

stg_billing__invoice_lines as (

    select * from {{ ref('stg_billing__invoice_lines') }}

),

stg_billing__invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

stg_billing__credit_notes as (

    select * from {{ ref('stg_billing__credit_notes') }}

),

fct_revenue_schedule as (

    select * from {{ ref('fct_revenue_schedule') }}

),

dim_date as (

    select * from {{ ref('dim_date') }}

),

invoice_lines as (

    select
        staged_lines.tenant_id,
        invoices.customer_id,
        invoices.contract_id,
        invoices.currency,
        cast({{ dbt.date_trunc('month', 'invoices.invoice_date') }} as date) as activity_month,
        staged_lines.amount,
        {{ batch_ids_concat(['staged_lines._batch_id', 'invoices._batch_id']) }} as _batch_ids
    from stg_billing__invoice_lines as staged_lines
    inner join stg_billing__invoices as invoices
        on staged_lines.invoice_key = invoices.invoice_key
    where invoices.status <> 'void'
        and invoices.invoice_date <= {{ as_of_date() }}

),

credit_notes as (

    select
        credit_notes.tenant_id,
        invoices.customer_id,
        invoices.contract_id,
        invoices.currency,
        cast({{ dbt.date_trunc('month', 'credit_notes.issued_date') }} as date) as activity_month,
        credit_notes.amount,
        {{ batch_ids_concat(['credit_notes._batch_id', 'invoices._batch_id']) }} as _batch_ids
    from stg_billing__credit_notes as credit_notes
    inner join stg_billing__invoices as invoices
        on credit_notes.invoice_key = invoices.invoice_key
    where credit_notes.status <> 'void'
        and credit_notes.issued_date <= {{ as_of_date() }}

),

schedule as (

    select
        tenant_id,
        customer_id,
        contract_id,
        currency,
        revenue_month as activity_month,
        recognized_amount,
        _batch_ids
    from fct_revenue_schedule
    where is_recognized_by_as_of

),

flows as (

    select
        tenant_id,
        customer_id,
        contract_id,
        currency,
        activity_month,
        amount as billed_amount,
        cast(0 as decimal(18, 2)) as credited_amount,
        cast(0 as decimal(18, 2)) as recognized_amount,
        _batch_ids
    from invoice_lines
    union all
    select
        tenant_id,
        customer_id,
        contract_id,
        currency,
        activity_month,
        cast(0 as decimal(18, 2)) as billed_amount,
        amount as credited_amount,
        cast(0 as decimal(18, 2)) as recognized_amount,
        _batch_ids
    from credit_notes
    union all
    select
        tenant_id,
        customer_id,
        contract_id,
        currency,
        activity_month,
        cast(0 as decimal(18, 2)) as billed_amount,
        cast(0 as decimal(18, 2)) as credited_amount,
        recognized_amount,
        _batch_ids
    from schedule

),

monthly_flows as (

    select
        tenant_id,
        customer_id,
        contract_id,
        currency,
        activity_month,
        sum(billed_amount) as billed_amount,
        sum(credited_amount) as credited_amount,
        sum(recognized_amount) as recognized_amount,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from flows
    group by tenant_id, customer_id, contract_id, currency, activity_month

),

accounts as (

    select
        tenant_id,
        customer_id,
        contract_id,
        currency,
        min(activity_month) as first_month
    from monthly_flows
    group by tenant_id, customer_id, contract_id, currency

),

months as (

    select distinct month_start
    from dim_date
    where month_start <= {{ as_of_date() }}

),

account_months as (

    select
        accounts.tenant_id,
        accounts.customer_id,
        accounts.contract_id,
        accounts.currency,
        months.month_start as revenue_month,
        coalesce(monthly_flows.billed_amount, 0) as billed_amount,
        coalesce(monthly_flows.credited_amount, 0) as credited_amount,
        coalesce(monthly_flows.billed_amount, 0)
        - coalesce(monthly_flows.credited_amount, 0) as net_billed_amount,
        coalesce(monthly_flows.recognized_amount, 0) as recognized_amount,
        monthly_flows._batch_ids as flow_batch_ids
    from accounts
    inner join months
        on accounts.first_month <= months.month_start
    left join monthly_flows
        on accounts.tenant_id = monthly_flows.tenant_id
            and accounts.customer_id = monthly_flows.customer_id
            and (
                accounts.contract_id = monthly_flows.contract_id
                or (accounts.contract_id is null and monthly_flows.contract_id is null)
            )
            and accounts.currency = monthly_flows.currency
            and months.month_start = monthly_flows.activity_month

),

positions as (

    select
        account_months.*,
        sum(account_months.net_billed_amount - account_months.recognized_amount) over (
            partition by
                account_months.tenant_id,
                account_months.customer_id,
                account_months.contract_id,
                account_months.currency
            order by account_months.revenue_month
            rows between unbounded preceding and current row
        ) as closing_position,
        {{ batch_ids_agg(
            'flow_batch_ids',
            over='partition by tenant_id, customer_id, contract_id, currency '
                ~ 'order by revenue_month rows between unbounded preceding and current row'
        ) }} as _batch_ids
    from account_months

),

balances as (

    select
        positions.*,
        positions.closing_position
        - (positions.net_billed_amount - positions.recognized_amount) as opening_position
    from positions

),

final as (

    select
        {{ generate_surrogate_key([
            'tenant_id', 'customer_id', 'contract_id', 'currency', 'revenue_month'
        ]) }}
            as revenue_recognition_by_contract_key,
        tenant_id,
        customer_id,
        contract_id,
        currency,
        revenue_month,
        billed_amount,
        credited_amount,
        net_billed_amount,
        recognized_amount,
        case when opening_position > 0 then opening_position else 0 end as deferred_opening_amount,
        case when closing_position > 0 then closing_position else 0 end as deferred_closing_amount,
        case when opening_position < 0 then -opening_position else 0 end as unbilled_opening_amount,
        case when closing_position < 0 then -closing_position else 0 end as unbilled_closing_amount,
        _batch_ids
    from balances

)

select * from final
