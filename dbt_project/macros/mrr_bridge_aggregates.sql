{#-
    The aggregates of an MRR bridge over customer-months of fct_mrr, for one currency view:
    opening, new, expansion, reactivation, contraction, churned and closing MRR, and the
    customers behind each. Contraction and churn come out as positive magnitudes, so that

        opening + new + expansion + reactivation - contraction - churned = closing

    (each customer-month has one movement type and its amount is mrr - previous_mrr, so the
    identity holds exactly in decimals).

    mrr_bridge_aggregates('mrr', 'previous_mrr', 'movement_type')            reporting currency
    mrr_bridge_aggregates('mrr_group', 'previous_mrr_group', 'movement_type_group')  group
-#}
{%- macro mrr_bridge_aggregates(mrr, previous_mrr, movement_type) -%}
        sum({{ previous_mrr }}) as opening_mrr,
        sum(case when {{ movement_type }} = 'new' then {{ mrr }} - {{ previous_mrr }} else 0 end) as new_mrr,
        sum(case when {{ movement_type }} = 'expansion' then {{ mrr }} - {{ previous_mrr }} else 0 end) as expansion_mrr,
        sum(case when {{ movement_type }} = 'reactivation' then {{ mrr }} - {{ previous_mrr }} else 0 end) as reactivation_mrr,
        sum(case when {{ movement_type }} = 'contraction' then {{ previous_mrr }} - {{ mrr }} else 0 end) as contraction_mrr,
        sum(case when {{ movement_type }} = 'churn' then {{ previous_mrr }} - {{ mrr }} else 0 end) as churned_mrr,
        sum({{ mrr }}) as closing_mrr,
        sum({{ mrr }}) - sum({{ previous_mrr }}) as net_change_mrr,
        12 * sum({{ mrr }}) as closing_arr,
        count(case when {{ previous_mrr }} > 0 then 1 end) as opening_customers,
        count(case when {{ movement_type }} = 'new' then 1 end) as new_customers,
        count(case when {{ movement_type }} = 'expansion' then 1 end) as expansion_customers,
        count(case when {{ movement_type }} = 'reactivation' then 1 end) as reactivation_customers,
        count(case when {{ movement_type }} = 'contraction' then 1 end) as contraction_customers,
        count(case when {{ movement_type }} = 'churn' then 1 end) as churned_customers,
        count(case when {{ mrr }} > 0 then 1 end) as closing_customers
{%- endmacro -%}
