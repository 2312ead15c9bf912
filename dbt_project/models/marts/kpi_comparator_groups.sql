-- Our value beside each comparator group set in sendkpi.toml ([comparator_groups]): per KPI,
-- period and value source, the group's plain mean over the members with a published value
-- (us excluded, as for statistical neighbours), how many had one, and our rank within the
-- group (1 + members strictly better by the KPI's polarity; none for neutral KPIs).
with ours as (
    select
        comparison.la_code,
        comparison.kpi_id,
        comparison.kpi_name,
        comparison.polarity,
        comparison.period_type,
        comparison.period,
        periods.period_index,
        comparison.value_source,
        comparison.value,
        comparison.is_small_count
    from {{ ref('kpi_comparison') }} as comparison
    inner join {{ ref('int_periods') }} as periods
        on periods.period_type = comparison.period_type
        and periods.period = comparison.period
),

members as (
    select distinct members.group_name, members.old_la_code
    from {{ ref('int_comparator_group_members') }} as members
    inner join {{ ref('int_home_la') }} as home
        on members.old_la_code <> home.old_la_code
),

authority_values as (
    select kpi_id, period_type, period_index, geography_code, value
    from {{ ref('int_published_kpi_values') }}
    where geographic_level = 'Local authority'
      and value is not null
),

group_figures as (
    select
        ours.la_code,
        ours.kpi_id,
        ours.period_type,
        ours.period,
        ours.value_source,
        members.group_name,
        count(*) as group_members,
        count(authority_values.value) as members_with_value,
        -- Exact decimals, as for the neighbour mean: the same files give the same marts.
        cast(avg(cast(authority_values.value as decimal(18, 6))) as double) as group_mean,
        count(*) filter (
            where (ours.polarity = 'higher_is_better' and authority_values.value > ours.value)
               or (ours.polarity = 'lower_is_better' and authority_values.value < ours.value)
        ) as members_better,
        string_agg(
            case when authority_values.value is not null then members.old_la_code end,
            ',' order by members.old_la_code
        ) as members_included
    from ours
    cross join members
    left join authority_values
        on authority_values.kpi_id = ours.kpi_id
        and authority_values.period_type = ours.period_type
        and authority_values.period_index = ours.period_index
        and authority_values.geography_code = members.old_la_code
    group by ours.la_code, ours.kpi_id, ours.period_type, ours.period, ours.value_source, members.group_name
)

select
    ours.la_code,
    group_figures.group_name,
    ours.kpi_id,
    ours.kpi_name,
    ours.polarity,
    ours.period_type,
    ours.period,
    ours.value_source,
    ours.value,
    ours.is_small_count,
    group_figures.group_members,
    group_figures.members_with_value,
    group_figures.members_included,
    group_figures.group_mean,
    case when ours.value is not null and ours.polarity <> 'neutral' and group_figures.members_with_value > 0
        then 1 + group_figures.members_better end as group_rank,
    case when ours.value is not null and ours.polarity <> 'neutral' and group_figures.members_with_value > 0
        then 1 + group_figures.members_with_value end as group_rank_count
from group_figures
inner join ours
    on ours.la_code = group_figures.la_code
    and ours.kpi_id = group_figures.kpi_id
    and ours.period_type = group_figures.period_type
    and ours.period = group_figures.period
    and ours.value_source = group_figures.value_source
