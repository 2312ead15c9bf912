-- Every authority's published value of each KPI and period, as DfE published it: the
-- population behind our rank and band, for the ranked bars of the scorecard. Our authority,
-- our statistical neighbours (the sn_model in force) and the members of each comparator
-- group are marked. Published aggregate figures only: nothing here is computed from cases.
with home as (
    select * from {{ ref('int_home_la') }}
),

neighbours as (
    select distinct neighbours.neighbour_old_la_code
    from {{ ref('stg_dfe__statistical_neighbours') }} as neighbours
    inner join home
        on neighbours.old_la_code = home.old_la_code
    where neighbours.sn_model = 'sn_model_{{ var("sn_model") }}'
),

group_membership as (
    select old_la_code, string_agg(distinct group_name, ',' order by group_name) as comparator_groups
    from {{ ref('int_comparator_group_members') }}
    group by old_la_code
),

authority_values as (
    select published.*, definitions.kpi_name, definitions.polarity, definitions.unit, periods.period
    from {{ ref('int_published_kpi_values') }} as published
    inner join {{ ref('kpi_definitions') }} as definitions
        on definitions.kpi_id = published.kpi_id
    inner join {{ ref('int_periods') }} as periods
        on periods.period_type = published.period_type
        and periods.period_index = published.period_index
    where published.geographic_level = 'Local authority'
      and published.value is not null
)

select
    authority_values.kpi_id,
    authority_values.kpi_name,
    authority_values.polarity,
    authority_values.unit,
    authority_values.period_type,
    authority_values.period,
    authority_values.release,
    authority_values.geography_code as la_code,
    authority_values.la_name,
    authority_values.value,
    -- 1 = best by the KPI's polarity; ties share the lowest rank; none for neutral KPIs.
    case
        when authority_values.polarity = 'higher_is_better' then
            rank() over (partition by authority_values.kpi_id, authority_values.period_type, authority_values.period
                         order by authority_values.value desc)
        when authority_values.polarity = 'lower_is_better' then
            rank() over (partition by authority_values.kpi_id, authority_values.period_type, authority_values.period
                         order by authority_values.value)
    end as national_rank,
    count(*) over (partition by authority_values.kpi_id, authority_values.period_type, authority_values.period)
        as national_count,
    authority_values.geography_code = home.old_la_code as is_home,
    neighbours.neighbour_old_la_code is not null as is_statistical_neighbour,
    group_membership.comparator_groups
from authority_values
cross join home
left join neighbours
    on neighbours.neighbour_old_la_code = authority_values.geography_code
left join group_membership
    on group_membership.old_la_code = authority_values.geography_code
