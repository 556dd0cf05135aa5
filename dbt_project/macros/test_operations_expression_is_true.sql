{#-
    Model-level test: every row (optionally only those matching `where_clause`) satisfies
    `expression`, a boolean SQL expression over the model's columns (an arithmetic
    invariant such as `margin = net_revenue - direct_cost`). Fails with the rows that break it.
-#}

{% test operations_expression_is_true(model, expression, where_clause=none) %}

select *
from {{ model }}
where not ({{ expression }})
{%- if where_clause %}
    and ({{ where_clause }})
{%- endif %}

{% endtest %}
