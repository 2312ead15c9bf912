{#- A rank is between 1 and the number ranked (count_column: national_count unless named). -#}
{% test rank_within_count(model, column_name, count_column='national_count') %}
select *
from {{ model }}
where {{ column_name }} < 1 or {{ column_name }} > {{ count_column }}
{% endtest %}
