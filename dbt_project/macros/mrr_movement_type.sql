{#-
    MRR movement of a customer-month, from its MRR, the previous month's MRR and whether it
    is the customer's first month with MRR > 0. The order of the branches is the rule: new,
    reactivation and churn are decided on "MRR > 0" alone before any comparison of amounts,
    so a return after a zero month is a reactivation (not an expansion) and a drop to zero is
    a churn (not a contraction) - the CASE-order bug of fivetran's MRR models, avoided.

        new           first month with MRR > 0
        reactivation  MRR > 0 after a month at zero (not the first month)
        churn         MRR = 0 after a month > 0
        expansion     MRR up, both months > 0
        contraction   MRR down, still > 0
        none          unchanged (including months at zero after a churn)

    The movement amount that goes with it is always mrr - previous_mrr (see fct_mrr).
-#}
{%- macro mrr_movement_type(mrr, previous_mrr, is_first_month) -%}
    case
        when {{ mrr }} > 0 and {{ is_first_month }} then 'new'
        when {{ mrr }} > 0 and {{ previous_mrr }} = 0 then 'reactivation'
        when {{ mrr }} = 0 and {{ previous_mrr }} > 0 then 'churn'
        when {{ mrr }} > {{ previous_mrr }} then 'expansion'
        when {{ mrr }} < {{ previous_mrr }} then 'contraction'
        else 'none'
    end
{%- endmacro -%}
