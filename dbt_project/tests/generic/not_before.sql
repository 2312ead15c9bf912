{#- A date column that is earlier than another date column of the same row. -#}
{% test not_before(model, column_name, earlier_column) %}
select *
from {{ model }}
where {{ column_name }} < {{ earlier_column }}
{% endtest %}
