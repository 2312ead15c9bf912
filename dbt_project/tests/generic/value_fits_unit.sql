{#- A KPI value fits its unit (kpi_definitions.unit): a percent lies in 0-100; a count, a
    rate per 100 or a number of days is never negative. -#}
{% test value_fits_unit(model, column_name) %}
select checked.*
from {{ model }} as checked
inner join {{ ref('kpi_definitions') }} as definitions
    on definitions.kpi_id = checked.kpi_id
where checked.{{ column_name }} < 0
   or (definitions.unit = 'percent' and checked.{{ column_name }} > 100)
{% endtest %}
