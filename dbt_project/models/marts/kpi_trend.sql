{#-
    Where each local quarterly KPI is heading: a straight line (least squares) through its last
    trend_quarters quarters, the slope's 95% interval (Student's t), and the quarter in which,
    at that trend, the authority would reach England's latest published value. A projection
    at the current trend, not a forecast (docs/statistics.md).
-#}
{%- set trend_quarters = var('trend_quarters') | int -%}
{%- set horizon = var('trend_horizon_quarters') | int -%}
with definitions as (
    select * from {{ ref('kpi_definitions') }}
),

quarterly as (
    select kpi_id, period, period_index, value
    from {{ ref('int_local_kpi_values') }}
    where period_type = 'financial_quarter'
),

latest as (
    select kpi_id, max(period_index) as latest_index
    from quarterly
    group by kpi_id
),

in_window as (
    select quarterly.*, latest.latest_index
    from quarterly
    inner join latest
        on latest.kpi_id = quarterly.kpi_id
    where quarterly.period_index > latest.latest_index - {{ trend_quarters }}
),

fits as (
    select
        kpi_id,
        latest_index,
        min(period_index) as first_index,
        count(*) as quarters_used,
        max(case when period_index = latest_index then value end) as latest_value,
        regr_slope(value, period_index) as slope,
        regr_intercept(value, period_index) as intercept,
        regr_sxx(value, period_index) as sxx,
        regr_syy(value, period_index) as syy,
        regr_sxy(value, period_index) as sxy
    from in_window
    group by kpi_id, latest_index
),

with_uncertainty as (
    select
        fits.*,
        fits.intercept + fits.slope * fits.latest_index as fitted_latest_value,
        case when fits.quarters_used >= 3 and fits.sxx > 0 then
            {{ t_critical_95('fits.quarters_used - 2') }}
            * sqrt(greatest(fits.syy - fits.sxy * fits.sxy / fits.sxx, 0) / (fits.quarters_used - 2) / fits.sxx)
        end as slope_margin
    from fits
),

england_periods as (
    -- England's latest published figure for each KPI (any of DfE's yearly calendars).
    select
        published.kpi_id,
        published.value,
        periods.period,
        published.period_type,
        row_number() over (partition by published.kpi_id order by periods.period_end desc) as recency
    from {{ ref('int_published_kpi_values') }} as published
    inner join {{ ref('int_periods') }} as periods
        on periods.period_type = published.period_type
        and periods.period_index = published.period_index
    where published.geographic_level = 'National'
      and published.value is not null
),

england as (
    select kpi_id, value, period, period_type
    from england_periods
    where recency = 1
),

assessed as (
    select
        trend.*,
        definitions.kpi_name,
        definitions.polarity,
        definitions.unit,
        england.value as england_value,
        england.period as england_period,
        england.period_type as england_period_type,
        (definitions.polarity = 'higher_is_better' and trend.slope > 0)
            or (definitions.polarity = 'lower_is_better' and trend.slope < 0) as is_improving,
        -- Quarters after the latest until the fitted line reaches England's value; rounded
        -- first so that a crossing exactly on a quarter is not pushed a quarter later by the
        -- last bits of a double.
        case when trend.slope <> 0 then
            cast(ceil(round((england.value - trend.fitted_latest_value) / trend.slope, 6)) as integer)
        end as quarters_to_england
    from with_uncertainty as trend
    inner join definitions
        on definitions.kpi_id = trend.kpi_id
    left join england
        on england.kpi_id = trend.kpi_id
        and definitions.polarity <> 'neutral'
),

statuses as (
    select
        assessed.*,
        case
            when england_value is null then 'no_england_comparison'
            when quarters_used < 3 then 'too_few_quarters'
            when (polarity = 'higher_is_better' and latest_value >= england_value)
              or (polarity = 'lower_is_better' and latest_value <= england_value) then 'at_or_better_than_england'
            when not is_improving then 'not_at_current_trend'
            when greatest(quarters_to_england, 1) > {{ horizon }} then 'not_within_horizon'
            else 'reaches_england'
        end as england_status
    from assessed
)

select
    la.old_la_code as la_code,
    statuses.kpi_id,
    statuses.kpi_name,
    statuses.polarity,
    statuses.unit,
    first_period.period as first_period,
    latest_period.period as latest_period,
    statuses.quarters_used,
    {{ trend_quarters }} as trend_quarters,
    statuses.latest_value,
    round(statuses.slope, 4) as slope_per_quarter,
    round(statuses.slope - statuses.slope_margin, 4) as slope_ci_lower,
    round(statuses.slope + statuses.slope_margin, 4) as slope_ci_upper,
    coalesce(statuses.slope - statuses.slope_margin > 0 or statuses.slope + statuses.slope_margin < 0, false)
        as is_trend_distinguishable_from_flat,
    round(statuses.intercept, 6) as intercept,
    round(statuses.fitted_latest_value, 4) as fitted_latest_value,
    statuses.england_value,
    statuses.england_period,
    statuses.england_period_type,
    statuses.england_status,
    case when statuses.england_status = 'reaches_england' then reach_period.period end as reaches_england_in,
    case when statuses.england_status = 'reaches_england' then greatest(statuses.quarters_to_england, 1) end
        as quarters_to_england,
    {{ horizon }} as trend_horizon_quarters
from statuses
cross join {{ ref('int_home_la') }} as la
inner join {{ ref('int_periods') }} as latest_period
    on latest_period.period_type = 'financial_quarter'
    and latest_period.period_index = statuses.latest_index
inner join {{ ref('int_periods') }} as first_period
    on first_period.period_type = 'financial_quarter'
    and first_period.period_index = statuses.first_index
left join {{ ref('int_periods') }} as reach_period
    on reach_period.period_type = 'financial_quarter'
    and reach_period.period_index = statuses.latest_index + greatest(statuses.quarters_to_england, 1)
