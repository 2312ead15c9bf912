-- Per financial year, the rows of its latest monitored period: the year's current forecast.
with latest_period as (
    select financial_year, max(period_number) as period_number
    from {{ ref('stg_dsg_monitoring') }}
    group by financial_year
)

select
    monitoring.financial_year,
    monitoring.financial_year_start,
    monitoring.period,
    monitoring.period_number,
    monitoring.block,
    monitoring.budget,
    monitoring.forecast_outturn
from {{ ref('stg_dsg_monitoring') }} as monitoring
inner join latest_period
    on latest_period.financial_year = monitoring.financial_year
    and latest_period.period_number = monitoring.period_number
