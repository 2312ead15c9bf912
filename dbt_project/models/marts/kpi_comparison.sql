{%- set small_count -%}
coalesce(coalesce(ours.denominator, ours.numerator) < {{ var('small_count_threshold') }}, false)
{%- endset %}
-- One row per home authority x KPI x period x value source: our value (computed from our
-- extracts, or as DfE published it) beside England, our region, our statistical neighbours'
-- mean, our national rank and quartile band, and the change from the previous period.
-- Benchmarks exist only for periods DfE publishes (calendar years for EHC plans, academic
-- years for exclusions, NEET and children missing education); elsewhere they are NULL.
-- Conventions follow DfE's LAIT: see docs/kpis.md. A neutral KPI (a count or volume) has
-- no rank or band: a bigger authority is not a worse one.
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
        published.period_type,
        periods.period,
        published.period_index,
        periods.period_start,
        periods.period_end,
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
    inner join {{ ref('int_periods') }} as periods
        on periods.period_type = published.period_type
        and periods.period_index = published.period_index
),

our_values as (
    select * from local_values
    union all
    select * from published_values
),

-- Every other authority's published value: the population for rank, band and neighbours.
other_authorities as (
    select published.kpi_id, published.period_type, published.period_index, published.geography_code, published.value
    from published
    cross join home
    where published.geographic_level = 'Local authority'
      and published.geography_code <> home.old_la_code
      and published.value is not null
),

england as (
    select kpi_id, period_type, period_index, value, release
    from published
    where geographic_level = 'National'
),

region as (
    select published.kpi_id, published.period_type, published.period_index, published.value
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
        periods.period_type,
        periods.period_index,
        -- Summed as exact decimals: a parallel sum of doubles can differ in its last bits
        -- from run to run, and the same files must give the same marts.
        cast(avg(cast(other_authorities.value as decimal(18, 6))) as double) as sn_mean,
        count(other_authorities.value) as sn_count,
        -- Which neighbours the mean is over (old LA codes), so a gap is visible.
        string_agg(
            case when other_authorities.value is not null then neighbours.neighbour_old_la_code end,
            ',' order by neighbours.neighbour_old_la_code
        ) as sn_included
    from (select distinct kpi_id, period_type, period_index from published) as periods
    cross join neighbours
    left join other_authorities
        on other_authorities.kpi_id = periods.kpi_id
        and other_authorities.period_type = periods.period_type
        and other_authorities.period_index = periods.period_index
        and other_authorities.geography_code = neighbours.neighbour_old_la_code
    group by periods.kpi_id, periods.period_type, periods.period_index
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
        and others.period_type = ours.period_type
        and others.period_index = ours.period_index
    where ours.value is not null
      and definitions.polarity <> 'neutral'
    group by ours.kpi_id, ours.period_type, ours.period, ours.value_source
),

band_population as (
    -- Quartile cut points over all authorities' values, ours included.
    select ours.kpi_id, ours.period_type, ours.period, ours.value_source, others.value
    from our_values as ours
    inner join other_authorities as others
        on others.kpi_id = ours.kpi_id
        and others.period_type = ours.period_type
        and others.period_index = ours.period_index
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
    -- Fewer cases than the threshold behind a rate, or a count itself below it.
    {{ small_count }} as is_small_count,
    england.value as england_value,
    region.value as region_value,
    'sn_model_{{ var("sn_model") }}' as sn_model,
    neighbour_means.sn_mean,
    neighbour_means.sn_count,
    neighbour_means.sn_included,
    ranked.national_rank,
    ranked.national_count,
    case
        when cut_points.median is null or ours.value is null or definitions.polarity = 'neutral' then null
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
    intervals.value_ci_lower,
    intervals.value_ci_upper,
    {{ significance_against('intervals.value_ci_lower', 'intervals.value_ci_upper', 'england.value',
                            small_count, 'England') }} as significance_vs_england,
    {{ significance_against('intervals.value_ci_lower', 'intervals.value_ci_upper', 'neighbour_means.sn_mean',
                            small_count, 'neighbours') }} as significance_vs_neighbours,
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
left join {{ ref('int_local_kpi_intervals') }} as intervals
    on ours.value_source = 'local'
    and intervals.kpi_id = ours.kpi_id
    and intervals.period_type = ours.period_type
    and intervals.period = ours.period
left join england
    on england.kpi_id = ours.kpi_id
    and england.period_type = ours.period_type
    and england.period_index = ours.period_index
left join region
    on region.kpi_id = ours.kpi_id
    and region.period_type = ours.period_type
    and region.period_index = ours.period_index
left join neighbour_means
    on neighbour_means.kpi_id = ours.kpi_id
    and neighbour_means.period_type = ours.period_type
    and neighbour_means.period_index = ours.period_index
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
