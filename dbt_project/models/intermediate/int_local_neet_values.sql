-- NEET 16-17 figures from the monthly counts, ages 16 and 17 together: per month, and per
-- academic year as DfE's headline, the average of December, January and February (all three
-- months needed). Percentages are of the cohort: NEET, activity not known, and the two
-- together; overall and for young people with an EHC plan. The year's numerator and
-- denominator are the three-month averages, as DfE publishes them.
with groups as (
    select 'all' as send_group
    union all
    select 'ehc_plan'
),

monthly as (
    select
        neet.month,
        neet.month_index,
        groups.send_group,
        sum(neet.cohort) as cohort,
        sum(neet.neet) as neet,
        sum(neet.not_known) as not_known
    from {{ ref('stg_neet') }} as neet
    inner join groups
        on groups.send_group in ('all', neet.send_status)
    group by neet.month, neet.month_index, groups.send_group
),

winter_months as (
    -- December 2022, January and February 2023 make the 2022/23 figure.
    select
        monthly.*,
        cast(floor((month_index - 11) / 12.0) as integer) as academic_year_start
    from monthly
    where month_index % 12 in (11, 0, 1)
),

periods as (
    select
        'month' as period_type,
        monthly.month_index as period_index,
        monthly.send_group,
        cast(monthly.cohort as double) as cohort,
        cast(monthly.neet as double) as neet,
        cast(monthly.not_known as double) as not_known
    from monthly

    union all

    select
        'academic_year',
        academic_year_start,
        send_group,
        avg(cast(cohort as double)),
        avg(cast(neet as double)),
        avg(cast(not_known as double))
    from winter_months
    group by academic_year_start, send_group
    having count(distinct month_index) = 3
),

measures as (
    select 'neet_pct' as measure, periods.*, neet as numerator from periods
    union all
    select 'not_known_pct', periods.*, not_known from periods
    union all
    select 'neet_nk_pct', periods.*, neet + not_known from periods
),

versions as (
    select {{ extract_version() }} as extract_version
    from (select distinct load_id from {{ ref('stg_neet') }}) as loads
)

select
    measures.measure || case when measures.send_group = 'all' then '' else '_' || measures.send_group end as kpi_id,
    measures.period_type,
    calendar.period,
    measures.period_index,
    calendar.period_start,
    calendar.period_end,
    measures.numerator,
    measures.cohort as denominator,
    100.0 * measures.numerator / measures.cohort as value,
    versions.extract_version
from measures
inner join {{ ref('int_periods') }} as calendar
    on calendar.period_type = measures.period_type
    and calendar.period_index = measures.period_index
cross join versions
where measures.cohort > 0
