{#-
    Open receivables at every month end up to the as-of month (the as-of date itself for the
    as-of month): one row per invoice and month end while it is open. Open = invoice total
    (tax included) - succeeded payments received by then - valid credit notes issued by then;
    void invoices never count and written-off invoices stop counting on the day the write-off
    was approved. days_past_due = month end - due date. _batch_ids: the load batches of the
    invoice and of the payments and credit notes counted by then.
-#}
with

invoices as (

    select * from {{ ref('stg_billing__invoices') }}
    where status <> 'void'
        and invoice_date <= {{ as_of_date() }}

),

write_offs as (

    select * from {{ ref('int_invoice_write_offs') }}

),

int_days_spined as (

    select * from {{ ref('int_days_spined') }}

),

stg_billing__payments as (

    select * from {{ ref('stg_billing__payments') }}

),

stg_billing__credit_notes as (

    select * from {{ ref('stg_billing__credit_notes') }}

),

month_ends as (

    select
        month_start,
        case
            when cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'month_start')) }} as date)
                > {{ as_of_date() }}
                then {{ as_of_date() }}
            else cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'month_start')) }} as date)
        end as month_end
    from (
        select distinct month_start
        from int_days_spined
        where month_start <= {{ as_of_date() }}
    ) as months

),

invoice_month_ends as (

    select
        invoices.invoice_key,
        invoices.tenant_id,
        invoices.invoice_id,
        invoices.customer_id,
        invoices.contract_id,
        invoices.currency,
        invoices.invoice_date,
        invoices.due_date,
        invoices.total_amount,
        month_ends.month_start,
        month_ends.month_end,
        invoices._batch_id
    from invoices
    inner join month_ends
        on invoices.invoice_date <= month_ends.month_end
    left join write_offs
        on invoices.tenant_id = write_offs.tenant_id
            and invoices.invoice_id = write_offs.invoice_id
    where write_offs.written_off_date is null
        or write_offs.written_off_date > month_ends.month_end

),

paid as (

    select
        invoice_month_ends.invoice_key,
        invoice_month_ends.month_start,
        sum(payments.amount) as paid_amount,
        {{ batch_ids_agg('payments._batch_id') }} as _batch_ids
    from invoice_month_ends
    inner join stg_billing__payments as payments
        on invoice_month_ends.invoice_key = payments.invoice_key
            and invoice_month_ends.month_end >= payments.received_date
    where payments.status = 'succeeded'
    group by invoice_month_ends.invoice_key, invoice_month_ends.month_start

),

credited as (

    select
        invoice_month_ends.invoice_key,
        invoice_month_ends.month_start,
        sum(credit_notes.amount) as credited_amount,
        {{ batch_ids_agg('credit_notes._batch_id') }} as _batch_ids
    from invoice_month_ends
    inner join stg_billing__credit_notes as credit_notes
        on invoice_month_ends.invoice_key = credit_notes.invoice_key
            and invoice_month_ends.month_end >= credit_notes.issued_date
    where credit_notes.status <> 'void'
    group by invoice_month_ends.invoice_key, invoice_month_ends.month_start

),

balances as (

    select
        invoice_month_ends.*,
        coalesce(paid.paid_amount, 0) as paid_amount,
        coalesce(credited.credited_amount, 0) as credited_amount,
        invoice_month_ends.total_amount
        - coalesce(paid.paid_amount, 0)
        - coalesce(credited.credited_amount, 0) as open_amount,
        {{ batch_ids_concat([
            'invoice_month_ends._batch_id', 'paid._batch_ids', 'credited._batch_ids'
        ]) }}
            as _batch_ids
    from invoice_month_ends
    left join paid
        on invoice_month_ends.invoice_key = paid.invoice_key
            and invoice_month_ends.month_start = paid.month_start
    left join credited
        on invoice_month_ends.invoice_key = credited.invoice_key
            and invoice_month_ends.month_start = credited.month_start

),

final as (

    select
        {{ generate_surrogate_key(['invoice_key', 'month_start']) }} as receivable_month_end_key,
        invoice_key,
        tenant_id,
        invoice_id,
        customer_id,
        contract_id,
        currency,
        invoice_date,
        due_date,
        month_start,
        month_end,
        total_amount,
        paid_amount,
        credited_amount,
        open_amount,
        {{ dbt.datediff('due_date', 'month_end', 'day') }} as days_past_due,
        case
            when {{ dbt.datediff('due_date', 'month_end', 'day') }} <= 0 then 'current'
            when {{ dbt.datediff('due_date', 'month_end', 'day') }} <= 30 then '1-30'
            when {{ dbt.datediff('due_date', 'month_end', 'day') }} <= 60 then '31-60'
            when {{ dbt.datediff('due_date', 'month_end', 'day') }} <= 90 then '61-90'
            else '90+'
        end as aging_bucket,
        _batch_ids
    from balances
    where open_amount > 0

)

select * from final
