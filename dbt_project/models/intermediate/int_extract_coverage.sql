-- Periods an extract fully covers: every day of the period lies in a quarter whose file is
-- loaded. A KPI row exists only for covered periods, so a calendar year with only three
-- quarters loaded never masquerades as DfE's full-year figure.
with loaded_days as (
    select distinct
        loads.extract,
        quarter_days.calendar_date
    from {{ ref('stg_extract_loads') }} as loads
    inner join {{ ref('int_calendar') }} as quarter_days
        on quarter_days.period_type = 'financial_quarter'
        and quarter_days.period = replace(loads.source_period, '_', ' ')
)

select
    loaded_days.extract,
    periods.period_type,
    periods.period,
    periods.period_index,
    periods.period_start,
    periods.period_end
from loaded_days
inner join {{ ref('int_calendar') }} as periods
    on periods.calendar_date = loaded_days.calendar_date
group by
    loaded_days.extract, periods.period_type, periods.period, periods.period_index,
    periods.period_start, periods.period_end
having count(*) = {{ dbt.datediff('min(periods.period_start)', 'min(periods.period_end)', 'day') }} + 1
