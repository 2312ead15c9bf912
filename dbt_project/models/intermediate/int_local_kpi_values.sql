-- Local KPI values per financial quarter and calendar year, from the case rules.
-- Only periods the KPI's extract fully covers get a row, and a period with no cases has no
-- row at all (never 0%).
select
    cases.kpi_id,
    periods.period_type,
    periods.period,
    periods.period_index,
    periods.period_start,
    periods.period_end,
    count(*) filter (where cases.counts_in_numerator) as numerator,
    count(*) as denominator,
    100.0 * count(*) filter (where cases.counts_in_numerator) / count(*) as value
from {{ ref('int_local_kpi_cases') }} as cases
inner join {{ ref('kpi_definitions') }} as definitions
    on definitions.kpi_id = cases.kpi_id
inner join {{ ref('int_calendar') }} as periods
    on periods.calendar_date = cases.counted_on
    and periods.period_type in ('financial_quarter', 'calendar_year')
inner join {{ ref('int_extract_coverage') }} as coverage
    on coverage.extract = definitions.extract
    and coverage.period_type = periods.period_type
    and coverage.period = periods.period
group by
    cases.kpi_id, periods.period_type, periods.period, periods.period_index,
    periods.period_start, periods.period_end
