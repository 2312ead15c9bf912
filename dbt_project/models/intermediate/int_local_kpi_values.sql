-- Local KPI values per period, from the case rules (int_local_kpi_cases), plus the exclusion
-- rates (int_local_exclusion_rates) and NEET figures (int_local_neet_values) that have their
-- own denominators. A KPI gets a row only for the period types it is reported for
-- (kpi_definitions.period_types) and only for periods its extract fully covers. By unit:
--   percent: cases counting / all cases x 100; a period with no cases has no row (never 0%);
--   count:   the cases counting; a covered period with none is a true 0;
--   days:    the median of the days measured over the period's cases; none: no row.
-- Each row names the version of the extract it was computed from: a short hash of the
-- current loads (marts.extract_load_summary lists their files), which changes whenever a
-- quarter's file is corrected.
with extract_versions as (
    select
        extract,
        {{ extract_version() }} as extract_version
    from {{ ref('stg_extract_loads') }}
    group by extract
),

covered_periods as (
    select
        definitions.kpi_id,
        definitions.unit,
        definitions.extract,
        coverage.period_type,
        coverage.period,
        coverage.period_index,
        coverage.period_start,
        coverage.period_end
    from {{ ref('kpi_definitions') }} as definitions
    inner join {{ ref('int_extract_coverage') }} as coverage
        on coverage.extract = definitions.extract
        and ' ' || definitions.period_types || ' ' like '% ' || coverage.period_type || ' %'
    where definitions.unit in ('percent', 'count', 'days')
),

-- Every case row placed in each period its day falls in. Referenced twice below, so DuckDB
-- computes it once.
case_rows_in_periods as (
    select
        cases.kpi_id,
        periods.period_type,
        periods.period,
        cases.case_pseudonym,
        cases.counts_in_numerator,
        cases.days_measured
    from {{ ref('int_local_kpi_cases') }} as cases
    inner join {{ ref('int_calendar') }} as periods
        on periods.calendar_date = cases.counted_on
),

-- A case counts once in a period however many rows it has there. Grouping by the case first,
-- then counting rows, is the same as count(distinct case) but made of plain aggregates that
-- DuckDB spills to disk past its memory limit: a distinct count or a median over a whole
-- period keeps every value in memory, which ran out at national scale.
cases_in_periods as (
    select
        kpi_id,
        period_type,
        period,
        bool_or(counts_in_numerator) as counts_in_numerator
    from case_rows_in_periods
    group by kpi_id, period_type, period, case_pseudonym
),

case_counts as (
    select
        kpi_id,
        period_type,
        period,
        count(*) filter (where counts_in_numerator) as cases_counting,
        count(*) as cases
    from cases_in_periods
    group by kpi_id, period_type, period
),

-- The median days measured, exactly as percentile_cont(0.5) over every case row, from a
-- histogram of the days (a few hundred distinct values per period, however many cases): the
-- value at 0-based position p of the sorted rows is the smallest day whose running count
-- exceeds p, and the median is the mean of the values at floor((n-1)/2) and ceil((n-1)/2).
days_histogram as (
    select
        kpi_id,
        period_type,
        period,
        days_measured,
        count(*) as rows_with_days
    from case_rows_in_periods
    where days_measured is not null
    group by kpi_id, period_type, period, days_measured
),

days_running_counts as (
    select
        kpi_id,
        period_type,
        period,
        days_measured,
        sum(rows_with_days) over (
            partition by kpi_id, period_type, period
            order by days_measured
            rows between unbounded preceding and current row
        ) as rows_up_to_here,
        sum(rows_with_days) over (partition by kpi_id, period_type, period) as rows_measured
    from days_histogram
),

median_days as (
    select
        kpi_id,
        period_type,
        period,
        (
            min(days_measured) filter (where rows_up_to_here > floor((rows_measured - 1) / 2.0))
            + min(days_measured) filter (where rows_up_to_here > ceil((rows_measured - 1) / 2.0))
        ) / 2.0 as median_days
    from days_running_counts
    group by kpi_id, period_type, period
),

case_periods as (
    select
        case_counts.kpi_id,
        case_counts.period_type,
        case_counts.period,
        case_counts.cases_counting,
        case_counts.cases,
        median_days.median_days
    from case_counts
    left join median_days
        on median_days.kpi_id = case_counts.kpi_id
        and median_days.period_type = case_counts.period_type
        and median_days.period = case_counts.period
),

case_values as (
    select
        covered.kpi_id,
        covered.period_type,
        covered.period,
        covered.period_index,
        covered.period_start,
        covered.period_end,
        case covered.unit
            when 'percent' then case_periods.cases_counting
            when 'count' then coalesce(case_periods.cases_counting, 0)
        end as numerator,
        case when covered.unit in ('percent', 'days') then case_periods.cases end as denominator,
        case covered.unit
            when 'percent' then 100.0 * case_periods.cases_counting / case_periods.cases
            when 'count' then coalesce(case_periods.cases_counting, 0)
            when 'days' then case_periods.median_days
        end as value,
        extract_versions.extract_version
    from covered_periods as covered
    inner join extract_versions
        on extract_versions.extract = covered.extract
    left join case_periods
        on case_periods.kpi_id = covered.kpi_id
        and case_periods.period_type = covered.period_type
        and case_periods.period = covered.period
    where covered.unit = 'count' or case_periods.cases > 0
)

select
    kpi_id, period_type, period, period_index, period_start, period_end,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    cast(value as double) as value,
    extract_version
from case_values

union all

select
    kpi_id, period_type, period, period_index, period_start, period_end,
    numerator, denominator, value, extract_version
from {{ ref('int_local_exclusion_rates') }}

union all

select
    kpi_id, period_type, period, period_index, period_start, period_end,
    numerator, denominator, value, extract_version
from {{ ref('int_local_neet_values') }}
