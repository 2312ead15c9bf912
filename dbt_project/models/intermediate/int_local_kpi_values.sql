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

-- Each case row with the day of the case's previous row and of its previous counting row. A
-- case counts once in a period: at its first row there (the previous row is before the
-- period starts), and in the numerator at its first counting row there. This replaces
-- count(distinct case), which keeps every case of a period in memory and ran out at national
-- scale; a window over one case's rows and plain sums spill to disk past DuckDB's limit.
case_rows as (
    select
        kpi_id,
        case_pseudonym,
        counted_on,
        counts_in_numerator,
        days_measured,
        lag(counted_on) over (
            partition by kpi_id, case_pseudonym order by counted_on
        ) as previous_row_on,
        max(case when counts_in_numerator then counted_on end) over (
            partition by kpi_id, case_pseudonym order by counted_on
            rows between unbounded preceding and 1 preceding
        ) as previous_counting_row_on
    from {{ ref('int_local_kpi_cases') }}
),

-- One row per period and value of days measured (a few hundred per period, however many
-- cases): the rows, the cases first seen and the counting cases first seen there.
period_days as (
    select
        case_rows.kpi_id,
        periods.period_type,
        periods.period,
        case_rows.days_measured,
        count(*) as rows_with_days,
        count(*) filter (
            where case_rows.previous_row_on is null
            or case_rows.previous_row_on < periods.period_start
        ) as cases_first_seen,
        count(*) filter (
            where case_rows.counts_in_numerator
            and (
                case_rows.previous_counting_row_on is null
                or case_rows.previous_counting_row_on < periods.period_start
            )
        ) as counting_cases_first_seen
    from case_rows
    inner join {{ ref('int_calendar') }} as periods
        on periods.calendar_date = case_rows.counted_on
    group by case_rows.kpi_id, periods.period_type, periods.period, case_rows.days_measured
),

case_counts as (
    select
        kpi_id,
        period_type,
        period,
        sum(counting_cases_first_seen) as cases_counting,
        sum(cases_first_seen) as cases
    from period_days
    group by kpi_id, period_type, period
),

-- The median days measured, exactly as percentile_cont(0.5) over every case row, from the
-- histogram of days above: the value at 0-based position p of the sorted rows is the
-- smallest day whose running count exceeds p, and the median is the mean of the values at
-- floor((n-1)/2) and ceil((n-1)/2).
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
    from period_days
    where days_measured is not null
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
