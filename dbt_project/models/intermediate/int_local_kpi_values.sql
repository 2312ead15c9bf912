-- Local KPI values per financial quarter and calendar year, from the case rules.
-- Only periods the KPI's extract fully covers get a row, and a period with no cases has no
-- row at all (never 0%). Each row names the version of the extract it was computed from:
-- a short hash of the current loads (marts.extract_load_summary lists their files), which
-- changes whenever a quarter's file is corrected.
with extract_versions as (
    select
        extract,
        left(md5(string_agg(load_id, ',' order by load_id)), 12) as extract_version
    from {{ ref('stg_extract_loads') }}
    group by extract
)

select
    cases.kpi_id,
    periods.period_type,
    periods.period,
    periods.period_index,
    periods.period_start,
    periods.period_end,
    count(*) filter (where cases.counts_in_numerator) as numerator,
    count(*) as denominator,
    100.0 * count(*) filter (where cases.counts_in_numerator) / count(*) as value,
    extract_versions.extract_version
from {{ ref('int_local_kpi_cases') }} as cases
inner join {{ ref('kpi_definitions') }} as definitions
    on definitions.kpi_id = cases.kpi_id
inner join {{ ref('int_calendar') }} as periods
    on periods.calendar_date = cases.counted_on
    and periods.period_type in ('financial_quarter', 'calendar_year')
inner join extract_versions
    on extract_versions.extract = definitions.extract
inner join {{ ref('int_extract_coverage') }} as coverage
    on coverage.extract = definitions.extract
    and coverage.period_type = periods.period_type
    and coverage.period = periods.period
group by
    cases.kpi_id, periods.period_type, periods.period, periods.period_index,
    periods.period_start, periods.period_end, extract_versions.extract_version
