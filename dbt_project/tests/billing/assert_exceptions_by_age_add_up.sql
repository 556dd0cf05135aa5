{#-
    kpi_billing_exceptions_by_age adds up to fct_billing_exceptions: per tenant and due month,
    the same number of exceptions, the same leakage and the same expected and billed amounts.
    Returns the tenant-months that differ.
-#}
with

kpi_billing_exceptions_by_age as (

    select * from {{ ref('kpi_billing_exceptions_by_age') }}

),

fct_billing_exceptions as (

    select * from {{ ref('fct_billing_exceptions') }}

),

rolled_up as (

    select
        tenant_id,
        due_month,
        sum(exceptions) as exceptions,
        sum(expected_amount) as expected_amount,
        sum(billed_amount) as billed_amount,
        sum(leakage_amount) as leakage_amount
    from kpi_billing_exceptions_by_age
    group by tenant_id, due_month

),

exceptions as (

    select
        tenant_id,
        due_month,
        count(*) as exceptions,
        sum(expected_amount) as expected_amount,
        sum(billed_amount) as billed_amount,
        sum(leakage_amount) as leakage_amount
    from fct_billing_exceptions
    group by tenant_id, due_month

),

final as (

    select
        coalesce(exceptions.tenant_id, rolled_up.tenant_id) as tenant_id,
        coalesce(exceptions.due_month, rolled_up.due_month) as due_month,
        exceptions.exceptions as fct_exceptions,
        rolled_up.exceptions as rolled_up_exceptions
    from exceptions
    full outer join rolled_up
        on exceptions.tenant_id = rolled_up.tenant_id
            and exceptions.due_month = rolled_up.due_month
    where coalesce(exceptions.exceptions, -1) <> coalesce(rolled_up.exceptions, -1)
        or coalesce(exceptions.expected_amount, -1) <> coalesce(rolled_up.expected_amount, -1)
        or coalesce(exceptions.billed_amount, -1) <> coalesce(rolled_up.billed_amount, -1)
        or coalesce(exceptions.leakage_amount, -1) <> coalesce(rolled_up.leakage_amount, -1)

)

select * from final
