{#- A national rank is between 1 and the number of ranked authorities. -#}
{% test rank_within_count(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} < 1 or {{ column_name }} > national_count
{% endtest %}
