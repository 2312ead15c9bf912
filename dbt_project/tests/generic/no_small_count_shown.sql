{#- Fails on every published local row whose count (text) shows a number from 1 to
    small_count_threshold - 1: such a count must read `c`. -#}
{% test no_small_count_shown(model, column_name) %}
select *
from {{ model }}
where value_source = 'local'
    and try_cast({{ column_name }} as double) >= 1
    and try_cast({{ column_name }} as double) < {{ var('small_count_threshold') }}
{% endtest %}
