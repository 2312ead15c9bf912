{#- Warns with the codes that do not resolve (a reason is present only when unresolved). -#}
{% test not_null_means_unresolved(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} is not null
{% endtest %}
