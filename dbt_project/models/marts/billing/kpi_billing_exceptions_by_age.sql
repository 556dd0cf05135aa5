{#-
    Billing exceptions per tenant, customer segment, due month, exception type, age bucket and
    currency (the contract currency: exception rows carry no rate): how many, what was
    expected and billed, the leakage (under-billed) and the over-billed amount (billed above
    expected). Rows of fct_billing_exceptions_aged summed, so any selection of tenants,
    segments and months is a sum of rows.
-#}
with

fct_billing_exceptions_aged as (

    select * from {{ ref('fct_billing_exceptions_aged') }}

),

final as (

    select
        {{ generate_surrogate_key([
            'tenant_id', 'segment', 'due_month', 'exception_type', 'age_bucket', 'currency',
        ]) }} as exception_age_key,
        tenant_id,
        segment,
        due_month,
        exception_type,
        age_bucket,
        currency,
        count(*) as exceptions,
        sum(expected_amount) as expected_amount,
        sum(billed_amount) as billed_amount,
        sum(leakage_amount) as leakage_amount,
        sum(case when difference_amount > 0 then difference_amount else 0 end)
            as over_billed_amount,
        {{ batch_ids_agg('_batch_ids') }} as _batch_ids
    from fct_billing_exceptions_aged
    group by tenant_id, segment, due_month, exception_type, age_bucket, currency

)

select * from final
