{#-
    Renewal outcomes read from the warehouse: one row per contract decided by the as-of date
    (ended on or before it), churned, contracted or renewed, and its label (1 = churned or
    contracted).

    * churned: no contract signed on or before the as-of date names it in
      renewed_from_contract_id (a customer who comes back signs a fresh, unlinked contract);
    * contracted: renewed, but the renewal's first month holds both less recurring MRR and
      fewer recurring units than the ending contract's last month (MRR alone mislabels a change
      of billing frequency, which is re-quoted from the price book);
    * renewed: otherwise.
    Both months are compared in the contract's own currency, so FX moves cannot fake a cut.
-#}
with

contracts as (

    select * from {{ ref('dim_contract') }}

),

line_months as (

    select * from {{ ref('fct_subscription_line_months') }}

),

decided as (

    select
        tenant_id,
        contract_id,
        customer_id,
        end_date as renewal_date
    from contracts
    where
        signed_date <= {{ as_of_date() }}
        and end_date <= {{ as_of_date() }}

),

renewals as (

    select
        decided.tenant_id,
        decided.contract_id,
        renewal.contract_id as renewal_contract_id,
        row_number() over (
            partition by decided.tenant_id, decided.contract_id
            order by renewal.signed_date, renewal.contract_id
        ) as renewal_rank
    from decided
    inner join contracts as renewal
        on
            decided.tenant_id = renewal.tenant_id
            and decided.contract_id = renewal.renewed_from_contract_id
    where renewal.signed_date <= {{ as_of_date() }}

),

-- recurring MRR and units of every contract month, in the contract's currency
contract_months as (

    select
        tenant_id,
        contract_id,
        month_start,
        sum(monthly_amount) as mrr,
        sum(quantity) as units
    from line_months
    where month_start <= {{ as_of_date() }}
    group by tenant_id, contract_id, month_start

),

ending as (

    select
        decided.tenant_id,
        decided.contract_id,
        max_by(contract_months.mrr, contract_months.month_start) as mrr,
        max_by(contract_months.units, contract_months.month_start) as units
    from decided
    inner join contract_months
        on
            decided.tenant_id = contract_months.tenant_id
            and decided.contract_id = contract_months.contract_id
            and decided.renewal_date > contract_months.month_start
    group by decided.tenant_id, decided.contract_id

),

renewal_start as (

    select
        renewals.tenant_id,
        renewals.contract_id,
        renewals.renewal_contract_id,
        min_by(contract_months.mrr, contract_months.month_start) as mrr,
        min_by(contract_months.units, contract_months.month_start) as units
    from renewals
    left join contract_months
        on
            renewals.tenant_id = contract_months.tenant_id
            and renewals.renewal_contract_id = contract_months.contract_id
    where renewals.renewal_rank = 1
    group by renewals.tenant_id, renewals.contract_id, renewals.renewal_contract_id

),

amounts as (

    select
        decided.tenant_id,
        decided.contract_id,
        decided.customer_id,
        decided.renewal_date,
        renewal_start.renewal_contract_id,
        coalesce(ending.mrr, 0) as ending_mrr,
        -- a renewal with no recurring line yet holds nothing recurring
        case
            when renewal_start.renewal_contract_id is not null
                then coalesce(renewal_start.mrr, 0)
        end as renewal_mrr,
        coalesce(ending.units, 0) as ending_units,
        case
            when renewal_start.renewal_contract_id is not null
                then coalesce(renewal_start.units, 0)
        end as renewal_units
    from decided
    left join ending
        on
            decided.tenant_id = ending.tenant_id
            and decided.contract_id = ending.contract_id
    left join renewal_start
        on
            decided.tenant_id = renewal_start.tenant_id
            and decided.contract_id = renewal_start.contract_id

),

classified as (

    select
        *,
        case
            when renewal_contract_id is null then 'churned'
            when renewal_mrr < ending_mrr and renewal_units < ending_units then 'contracted'
            else 'renewed'
        end as outcome
    from amounts

),

final as (

    select
        tenant_id,
        contract_id,
        customer_id,
        renewal_date,
        renewal_contract_id,
        ending_mrr,
        renewal_mrr,
        ending_units,
        renewal_units,
        outcome,
        case when outcome in ('churned', 'contracted') then 1 else 0 end as label,  -- noqa: RF04
        {{ as_of_date() }} as as_of_date
    from classified

)

select * from final
