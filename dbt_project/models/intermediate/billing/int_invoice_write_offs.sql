{#-
    Invoices written off as uncollectible: the date the write-off was approved in the finance
    workflow (approval events of workflow `write_off`, object = invoice). From that day the
    invoice no longer counts as an open receivable.
-#}
with

approvals as (

    select * from {{ ref('stg_finance__approval_events') }}

),

final as (

    select
        tenant_id,
        object_id as invoice_id,
        cast(min(occurred_at) as date) as written_off_date
    from approvals
    where workflow = 'write_off'
        and action = 'approved'
        and cast(occurred_at as date) <= {{ as_of_date() }}
    group by tenant_id, object_id

)

select * from final
