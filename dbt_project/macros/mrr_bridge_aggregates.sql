{#-
    The aggregates of an MRR bridge over customer-months of fct_mrr, for one currency view:
    opening, new, expansion, reactivation, contraction, churned and closing MRR, and the
    customers behind each. Contraction and churn come out as positive magnitudes, so that

        opening + new + expansion + reactivation - contraction - churned = closing

    (each customer-month has one movement type and its amount is mrr - previous_mrr, so the
    identity holds exactly in decimals).

    mrr_bridge_aggregates('mrr', 'previous_mrr', 'movement_type')            reporting currency
    mrr_bridge_aggregates('mrr_group', 'previous_mrr_group', 'movement_type_group')  group

    `suffix` is appended to every column name, so one select can carry both currency views
    (e.g. suffix='_group' gives opening_mrr_group, ...).
-#}
{%- macro mrr_bridge_aggregates(mrr, previous_mrr, movement_type, suffix='') -%}
        sum({{ previous_mrr }}) as opening_mrr{{ suffix }},
        sum(case when {{ movement_type }} = 'new' then {{ mrr }} - {{ previous_mrr }} else 0 end) as new_mrr{{ suffix }},
        sum(case when {{ movement_type }} = 'expansion' then {{ mrr }} - {{ previous_mrr }} else 0 end) as expansion_mrr{{ suffix }},
        sum(case when {{ movement_type }} = 'reactivation' then {{ mrr }} - {{ previous_mrr }} else 0 end) as reactivation_mrr{{ suffix }},
        sum(case when {{ movement_type }} = 'contraction' then {{ previous_mrr }} - {{ mrr }} else 0 end) as contraction_mrr{{ suffix }},
        sum(case when {{ movement_type }} = 'churn' then {{ previous_mrr }} - {{ mrr }} else 0 end) as churned_mrr{{ suffix }},
        sum({{ mrr }}) as closing_mrr{{ suffix }},
        sum({{ mrr }}) - sum({{ previous_mrr }}) as net_change_mrr{{ suffix }},
        12 * sum({{ mrr }}) as closing_arr{{ suffix }},
        count(case when {{ previous_mrr }} > 0 then 1 end) as opening_customers{{ suffix }},
        count(case when {{ movement_type }} = 'new' then 1 end) as new_customers{{ suffix }},
        count(case when {{ movement_type }} = 'expansion' then 1 end) as expansion_customers{{ suffix }},
        count(case when {{ movement_type }} = 'reactivation' then 1 end) as reactivation_customers{{ suffix }},
        count(case when {{ movement_type }} = 'contraction' then 1 end) as contraction_customers{{ suffix }},
        count(case when {{ movement_type }} = 'churn' then 1 end) as churned_customers{{ suffix }},
        count(case when {{ mrr }} > 0 then 1 end) as closing_customers{{ suffix }}
{%- endmacro -%}
