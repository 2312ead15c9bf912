-- Exclusion rates per 100 pupils on roll, as DfE defines them, per academic year: permanent
-- exclusions, suspensions, and pupils with one or more suspensions, over the school census
-- headcount of the year; overall and per SEN status (the status recorded with each
-- exclusion, over the headcount with that status). A year gets a row only when the
-- exclusions extract covers all of it and the census has its headcount.
with covered_years as (
    select period, period_index, period_start, period_end
    from {{ ref('int_extract_coverage') }}
    where extract = 'exclusions'
      and period_type = 'academic_year'
),

sen_groups as (
    select 'all' as sen_group
    union all
    select 'ehc_plan'
    union all
    select 'sen_support'
    union all
    select 'no_sen'
),

headcounts as (
    select
        census.academic_year_start,
        sen_groups.sen_group,
        sum(census.headcount) as headcount
    from {{ ref('stg_school_census') }} as census
    inner join sen_groups
        on sen_groups.sen_group in ('all', census.sen_status)
    group by census.academic_year_start, sen_groups.sen_group
),

exclusions_in_year as (
    select
        years.period_index,
        sen_groups.sen_group,
        count(*) filter (where exclusions.exclusion_type = 'permanent') as permanent_exclusions,
        count(*) filter (where exclusions.exclusion_type = 'suspension') as suspensions,
        count(distinct exclusions.pupil_pseudonym) filter (where exclusions.exclusion_type = 'suspension')
            as pupils_suspended
    from {{ ref('int_exclusions_latest') }} as exclusions
    inner join covered_years as years
        on exclusions.start_date between years.period_start and years.period_end
    inner join sen_groups
        on sen_groups.sen_group in ('all', exclusions.sen_status)
    group by years.period_index, sen_groups.sen_group
),

versions as (
    -- The exclusions extract's current loads and the census files the rates were built on.
    select {{ extract_version() }} as extract_version
    from (
        select load_id
        from {{ ref('stg_extract_loads') }}
        where extract = 'exclusions'
        union
        select load_id from {{ ref('stg_school_census') }}
    ) as loads
),

year_groups as (
    select
        years.period,
        years.period_index,
        years.period_start,
        years.period_end,
        headcounts.sen_group,
        headcounts.headcount,
        coalesce(counts.permanent_exclusions, 0) as permanent_exclusions,
        coalesce(counts.suspensions, 0) as suspensions,
        coalesce(counts.pupils_suspended, 0) as pupils_suspended
    from covered_years as years
    inner join headcounts
        on headcounts.academic_year_start = years.period_index
    left join exclusions_in_year as counts
        on counts.period_index = years.period_index
        and counts.sen_group = headcounts.sen_group
    where headcounts.headcount > 0
),

rates as (
    select 'perm_excl_rate' as measure, year_groups.*, permanent_exclusions as numerator from year_groups
    union all
    select 'susp_rate', year_groups.*, suspensions from year_groups
    union all
    select 'one_plus_susp_rate', year_groups.*, pupils_suspended from year_groups
)

select
    measure || case when sen_group = 'all' then '' else '_' || sen_group end as kpi_id,
    'academic_year' as period_type,
    period,
    period_index,
    period_start,
    period_end,
    cast(numerator as double) as numerator,
    cast(headcount as double) as denominator,
    100.0 * numerator / headcount as value,
    versions.extract_version
from rates
cross join versions
