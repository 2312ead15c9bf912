-- The 95% Wilson score interval of every local percentage with a numerator and a denominator
-- (macro wilson_bound_pct): how far the true rate may sit from the one observed, given how
-- few cases a quarter can hold. Counts, medians and rates per 100 have no interval here.
select
    local_values.kpi_id,
    local_values.period_type,
    local_values.period,
    {{ wilson_bound_pct('local_values.numerator', 'local_values.denominator', 'lower') }} as value_ci_lower,
    {{ wilson_bound_pct('local_values.numerator', 'local_values.denominator', 'upper') }} as value_ci_upper
from {{ ref('int_local_kpi_values') }} as local_values
inner join {{ ref('kpi_definitions') }} as definitions
    on definitions.kpi_id = local_values.kpi_id
where definitions.unit = 'percent'
  and local_values.denominator > 0
  and local_values.numerator between 0 and local_values.denominator
