-- The headline comparison: one row per KPI. Its year (a calendar year for EHC plans, an
-- academic year for exclusions, NEET and children missing education) is the latest year DfE
-- benchmarks, else (for KPIs DfE does not publish, like advice within 6 weeks) the latest year
-- we computed; our own figure is preferred to DfE's published one for us. Beside it, the
-- latest quarter from our extracts (for a monthly KPI, NEET, the latest month).
with comparison as (
    select * from {{ ref('kpi_comparison') }}
),

year_rows as (
    select
        *,
        row_number() over (
            partition by kpi_id
            order by
                england_value is not null desc,
                period_end desc,
                case when value_source = 'local' then 0 else 1 end
        ) as preference
    from comparison
    where period_type in ('calendar_year', 'academic_year') and value is not null
),

latest_quarter as (
    select
        kpi_id,
        period as quarter,
        value as quarter_value,
        change as quarter_change,
        is_small_count as quarter_is_small,
        row_number() over (
            partition by kpi_id order by period_type = 'financial_quarter' desc, period_start desc
        ) as recency
    from comparison
    where period_type in ('financial_quarter', 'month') and value_source = 'local'
),

kpis as (
    select
        kpi_id,
        any_value(kpi_name) as kpi_name,
        any_value(unit) as unit,
        any_value(la_name) as la_name,
        any_value(la_code) as la_code,
        any_value(region_name) as region_name,
        any_value(sn_model) as sn_model
    from comparison
    group by kpi_id
)

select
    kpis.kpi_id,
    kpis.la_name,
    kpis.la_code,
    kpis.region_name,
    kpis.sn_model,
    kpis.kpi_name,
    kpis.unit,
    year_rows.period,
    year_rows.value_source,
    year_rows.value,
    year_rows.region_value,
    year_rows.sn_mean,
    year_rows.sn_count,
    year_rows.england_value,
    year_rows.national_rank,
    year_rows.national_count,
    year_rows.quartile_band,
    coalesce(year_rows.is_small_count, false) as is_small_count,
    latest_quarter.quarter,
    latest_quarter.quarter_value,
    latest_quarter.quarter_change,
    coalesce(latest_quarter.quarter_is_small, false) as quarter_is_small
from kpis
left join year_rows
    on kpis.kpi_id = year_rows.kpi_id and year_rows.preference = 1
left join latest_quarter
    on kpis.kpi_id = latest_quarter.kpi_id and latest_quarter.recency = 1
