{#-
    The year the projected cumulative DSG deficit first reaches each threshold set in [dsg]
    (deficit_threshold_gbp_k, deficit_threshold_pct_of_allocation), per scenario: a
    projection from the scenario's stated assumptions, never a forecast of fact (docs/dsg.md).
-#}
{%- set thresholds = var('dsg_deficit_thresholds', []) -%}
with thresholds as (
    select cast(null as varchar) as measure, cast(null as double) as threshold
    where 1 = 0
    {%- for threshold in thresholds %}
    union all
    select '{{ threshold.measure }}', {{ threshold.threshold }}
    {%- endfor %}
),

projection as (
    select * from {{ ref('dsg_deficit_projection') }}
),

crossings as (
    select
        projection.scenario,
        thresholds.measure,
        thresholds.threshold,
        min(case
            when (thresholds.measure = 'closing_deficit' and projection.closing_deficit >= thresholds.threshold)
              or (thresholds.measure = 'closing_deficit_pct_of_allocation'
                  and projection.closing_deficit_pct_of_allocation >= thresholds.threshold)
            then projection.years_after_monitored
        end) as first_year_reached,
        max(projection.years_after_monitored) as last_year_projected
    from projection
    cross join thresholds
    group by projection.scenario, thresholds.measure, thresholds.threshold
)

select
    crossings.scenario,
    crossings.measure,
    case when crossings.measure = 'closing_deficit' then 'GBP thousands' else 'percent of the DSG allocation' end
        as threshold_unit,
    crossings.threshold,
    reached.financial_year as first_financial_year_reached,
    reached.year_end as reached_by,
    reached.closing_deficit as closing_deficit_that_year,
    reached.closing_deficit_pct_of_allocation as closing_deficit_pct_that_year,
    case
        when crossings.first_year_reached = 0 then 'reached in the monitored year'
        when crossings.first_year_reached is not null then 'reached in the projection'
        else 'not reached by ' || last_year.financial_year
    end as status
from crossings
left join projection as reached
    on reached.scenario = crossings.scenario
    and reached.years_after_monitored = crossings.first_year_reached
inner join projection as last_year
    on last_year.scenario = crossings.scenario
    and last_year.years_after_monitored = crossings.last_year_projected
