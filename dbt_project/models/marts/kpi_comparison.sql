-- One row per home authority x KPI x period x value source: our value (computed from our
-- extracts, or as DfE published it) beside England, our region, our statistical neighbours'
-- mean, our national rank and quartile band, and the change from the previous period.
-- Benchmarks exist only for periods DfE publishes (calendar years); elsewhere they are NULL.
-- Conventions follow DfE's LAIT: see docs/kpis.md.
with home as (
    select * from {{ ref('int_home_la') }}
),

definitions as (
    select * from {{ ref('kpi_definitions') }}
),

published as (
    select * from {{ ref('int_published_kpi_values') }}
),

local_values as (
    select
        kpi_id, period_type, period, period_index, period_start, period_end,
        'local' as value_source,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,
        value,
        cast(null as varchar) as value_missing_reason,
        extract_version
    from {{ ref('int_local_kpi_values') }}
),

published_values as (
    select
        published.kpi_id,
        'calendar_year' as period_type,
        cast(published.calendar_year as varchar) as period,
        published.calendar_year as period_index,
        make_date(published.calendar_year, 1, 1) as period_start,
        make_date(published.calendar_year, 12, 31) as period_end,
        published.release as value_source,
        published.numerator,
        published.denominator,
        published.value,
        published.value_missing_reason,
        cast(null as varchar) as extract_version
    from published
    inner join home
        on published.geographic_level = 'Local authority'
        and published.geography_code = home.old_la_code
),

our_values as (
    select * from local_values
    union all
    select * from published_values
),

-- Every other authority's published value: the population for rank, band and neighbours.
other_authorities as (
    select published.kpi_id, published.calendar_year, published.geography_code, published.value
    from published
    cross join home
    where published.geographic_level = 'Local authority'
      and published.geography_code <> home.old_la_code
      and published.value is not null
),

england as (
    select kpi_id, calendar_year, value, release
    from published
    where geographic_level = 'National'
),

region as (
    select published.kpi_id, published.calendar_year, published.value
    from published
    inner join home
        on published.geographic_level = 'Regional'
        and published.geography_code = home.region_code
),

neighbours as (
    select neighbours.neighbour_old_la_code, neighbours.sn_model
    from {{ ref('stg_dfe__statistical_neighbours') }} as neighbours
    inner join home
        on neighbours.old_la_code = home.old_la_code
    where neighbours.sn_model = 'sn_model_{{ var("sn_model") }}'
),

neighbour_means as (
    -- The plain mean of the neighbours that have a value; the count says how many did.
    select
        periods.kpi_id,
        periods.calendar_year,
        -- Summed as exact decimals: a parallel sum of doubles can differ in its last bits
        -- from run to run, and the same files must give the same marts.
        cast(avg(cast(other_authorities.value as decimal(18, 6))) as double) as sn_mean,
        count(other_authorities.value) as sn_count,
        -- Which neighbours the mean is over (old LA codes), so a gap is visible.
        string_agg(
            case when other_authorities.value is not null then neighbours.neighbour_old_la_code end,
            ',' order by neighbours.neighbour_old_la_code
        ) as sn_included
    from (select distinct kpi_id, calendar_year from published) as periods
    cross join neighbours
    left join other_authorities
        on other_authorities.kpi_id = periods.kpi_id
        and other_authorities.calendar_year = periods.calendar_year
        and other_authorities.geography_code = neighbours.neighbour_old_la_code
    group by periods.kpi_id, periods.calendar_year
),

ranked as (
    -- Rank among all authorities: 1 + the number strictly better, so ties share the lowest
    -- rank; "better" follows the KPI's polarity.
    select
        ours.kpi_id,
        ours.period_type,
        ours.period,
        ours.value_source,
        1 + count(*) filter (
            where (definitions.polarity = 'higher_is_better' and others.value > ours.value)
               or (definitions.polarity = 'lower_is_better' and others.value < ours.value)
        ) as national_rank,
        count(*) + 1 as national_count
    from our_values as ours
    inner join definitions
        on definitions.kpi_id = ours.kpi_id
    inner join other_authorities as others
        on others.kpi_id = ours.kpi_id
        and ours.period_type = 'calendar_year'
        and others.calendar_year = ours.period_index
    where ours.value is not null
    group by ours.kpi_id, ours.period_type, ours.period, ours.value_source
),

band_population as (
    -- Quartile cut points over all authorities' values, ours included.
    select ours.kpi_id, ours.period_type, ours.period, ours.value_source, others.value
    from our_values as ours
    inner join other_authorities as others
        on others.kpi_id = ours.kpi_id
        and ours.period_type = 'calendar_year'
        and others.calendar_year = ours.period_index
    where ours.value is not null

    union all

    -- Our own value joins the population only where other authorities have values: with
    -- nobody to compare against there is no band (DfE publishes no advice figures).
    select ours.kpi_id, ours.period_type, ours.period, ours.value_source, ours.value
    from our_values as ours
    inner join ranked
        on ranked.kpi_id = ours.kpi_id
        and ranked.period_type = ours.period_type
        and ranked.period = ours.period
        and ranked.value_source = ours.value_source
),

cut_points as (
    select
        kpi_id, period_type, period, value_source,
        percentile_cont(0.25) within group (order by value) as lower_quartile,
        percentile_cont(0.50) within group (order by value) as median,
        percentile_cont(0.75) within group (order by value) as upper_quartile
    from band_population
    group by kpi_id, period_type, period, value_source
),

with_previous as (
    -- Change only between consecutive periods of the same series (ours or DfE's).
    select
        our_values.*,
        lag(value) over series as previous_series_value,
        lag(period_index) over series as previous_period_index
    from our_values
    window series as (
        partition by kpi_id, period_type, value_source = 'local'
        order by period_index
    )
)

select
    home.old_la_code as la_code,
    home.new_la_code as la_new_code,
    home.la_name,
    home.region_code,
    home.region_name,
    definitions.kpi_id,
    definitions.kpi_name,
    definitions.polarity,
    definitions.unit,
    ours.period_type,
    ours.period,
    ours.period_start,
    ours.period_end,
    ours.value_source,
    ours.numerator,
    ours.denominator,
    ours.value,
    ours.value_missing_reason,
    coalesce(ours.denominator < {{ var('small_count_threshold') }}, false) as is_small_count,
    england.value as england_value,
    region.value as region_value,
    'sn_model_{{ var("sn_model") }}' as sn_model,
    neighbour_means.sn_mean,
    neighbour_means.sn_count,
    neighbour_means.sn_included,
    ranked.national_rank,
    ranked.national_count,
    case
        when cut_points.median is null or ours.value is null then null
        when definitions.polarity = 'higher_is_better' then
            case
                when ours.value >= cut_points.upper_quartile then 'A'
                when ours.value >= cut_points.median then 'B'
                when ours.value >= cut_points.lower_quartile then 'C'
                else 'D'
            end
        else
            case
                when ours.value <= cut_points.lower_quartile then 'A'
                when ours.value <= cut_points.median then 'B'
                when ours.value <= cut_points.upper_quartile then 'C'
                else 'D'
            end
    end as quartile_band,
    case when ours.previous_period_index = ours.period_index - 1 then ours.previous_series_value end
        as previous_value,
    case when ours.previous_period_index = ours.period_index - 1
        then ours.value - ours.previous_series_value end as change,
    england.release as benchmark_release,
    ours.extract_version
from with_previous as ours
cross join home
inner join definitions
    on definitions.kpi_id = ours.kpi_id
left join england
    on ours.period_type = 'calendar_year'
    and england.kpi_id = ours.kpi_id
    and england.calendar_year = ours.period_index
left join region
    on ours.period_type = 'calendar_year'
    and region.kpi_id = ours.kpi_id
    and region.calendar_year = ours.period_index
left join neighbour_means
    on ours.period_type = 'calendar_year'
    and neighbour_means.kpi_id = ours.kpi_id
    and neighbour_means.calendar_year = ours.period_index
left join ranked
    on ranked.kpi_id = ours.kpi_id
    and ranked.period_type = ours.period_type
    and ranked.period = ours.period
    and ranked.value_source = ours.value_source
left join cut_points
    on cut_points.kpi_id = ours.kpi_id
    and cut_points.period_type = ours.period_type
    and cut_points.period = ours.period
    and cut_points.value_source = ours.value_source
