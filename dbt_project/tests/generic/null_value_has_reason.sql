{#- A NULL value must say why (suppression symbol, not published): never a silent gap. -#}
{% test null_value_has_reason(model) %}
select *
from {{ model }}
where value is null and value_missing_reason is null
{% endtest %}
