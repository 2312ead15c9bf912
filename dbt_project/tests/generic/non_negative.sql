{#- Counts and rates are never negative (NULL allowed: suppressed or not applicable). -#}
{% test non_negative(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} < 0
{% endtest %}
