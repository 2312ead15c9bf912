-- DSG budget monitoring for finance officers: per financial year, period and block, and a
-- 'total' line over the four blocks. Amounts in GBP thousands; variance = forecast - budget
-- (positive = overspend), variance_pct = variance / budget x 100.
with blocks as (
    select financial_year, period, period_number, block, budget, forecast_outturn
    from {{ ref('stg_dsg_monitoring') }}
),

totals as (
    select
        financial_year,
        period,
        period_number,
        'total' as block,
        sum(budget) as budget,
        sum(forecast_outturn) as forecast_outturn
    from blocks
    group by financial_year, period, period_number
),

lines as (
    select * from blocks
    union all
    select * from totals
)

select
    financial_year,
    period,
    period_number,
    block,
    budget,
    forecast_outturn,
    forecast_outturn - budget as variance,
    round((forecast_outturn - budget) / nullif(budget, 0) * 100, 2) as variance_pct
from lines
