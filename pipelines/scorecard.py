"""The headline comparison table, read from the published kpi_comparison mart."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

# One line per KPI. Its year (a calendar year for EHC plans, an academic year for exclusions,
# NEET and children missing education): the latest year DfE benchmarks, else (for KPIs DfE
# does not publish, like advice within 6 weeks) the latest year we computed. Our own figure is
# preferred to DfE's published one for us. Beside it, the latest quarter from our extracts.
_HEADLINE_SQL = """
with mart as (
    select * from read_parquet(?)
),
year_rows as (
    select *,
        row_number() over (
            partition by kpi_id
            order by england_value is not null desc, period_end desc,
                case when value_source = 'local' then 0 else 1 end
        ) as preference
    from mart
    where period_type in ('calendar_year', 'academic_year') and value is not null
),
latest_quarter as (
    -- The latest quarter, or for a monthly KPI (NEET) the latest month.
    select kpi_id, period as quarter, value as quarter_value, change as quarter_change,
        is_small_count as quarter_is_small,
        row_number() over (
            partition by kpi_id order by period_type = 'financial_quarter' desc, period_start desc
        ) as recency
    from mart
    where period_type in ('financial_quarter', 'month') and value_source = 'local'
),
kpis as (
    select kpi_id, any_value(kpi_name) as kpi_name, any_value(unit) as unit, any_value(la_name) as la_name,
        any_value(la_code) as la_code, any_value(region_name) as region_name,
        any_value(sn_model) as sn_model
    from mart
    group by kpi_id
)
select
    kpis.la_name, kpis.la_code, kpis.region_name, kpis.sn_model, kpis.kpi_name, kpis.unit,
    year_rows.period, year_rows.value_source,
    year_rows.value, year_rows.region_value, year_rows.sn_mean, year_rows.sn_count,
    year_rows.england_value, year_rows.national_rank, year_rows.national_count,
    year_rows.quartile_band, coalesce(year_rows.is_small_count, false) as is_small_count,
    latest_quarter.quarter, latest_quarter.quarter_value, latest_quarter.quarter_change,
    coalesce(latest_quarter.quarter_is_small, false) as quarter_is_small
from kpis
left join year_rows
    on year_rows.kpi_id = kpis.kpi_id and year_rows.preference = 1
left join latest_quarter
    on latest_quarter.kpi_id = kpis.kpi_id and latest_quarter.recency = 1
order by kpis.kpi_id
"""


def headline(kpi_comparison: Path) -> pd.DataFrame:
    return duckdb.execute(_HEADLINE_SQL, [str(kpi_comparison)]).df()


# Decimal places per unit: rates per 100 pupils need two (DfE prints exclusion rates so).
_DIGITS = {"rate_per_100": 2, "count": 0}


def _number(value: object, unit: str = "percent") -> str:
    if value is None or pd.isna(value):
        return "-"
    digits = _DIGITS.get(unit, 1)
    if unit == "count" and value != round(value):
        digits = 1  # a mean of counts (the neighbours' mean)
    return f"{value:.{digits}f}"


def _text(value: object) -> str:
    return "-" if value is None or pd.isna(value) else str(value)


def render(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "The comparison mart has no rows yet: load extracts or DfE files and materialise."
    first = frame.iloc[0]
    lines = [
        f"{first.la_name} ({first.la_code}), {first.region_name}; statistical neighbours: {first.sn_model}",
        "Values in each KPI's unit (mostly %). Ours = computed from our extracts ('local') or DfE's published figure for us.",
        "",
        f"{'KPI':<62} {'year':>7} {'ours':>6} {'region':>6} {'SN mean':>10} {'England':>7} "
        f"{'rank':>8} {'band':>4}  {'latest quarter or month':>24}  source",
    ]
    for row in frame.itertuples():
        unit = row.unit
        neighbours = f"{_number(row.sn_mean, unit)} ({row.sn_count})" if not pd.isna(row.sn_mean) else "-"
        rank = f"{row.national_rank}/{row.national_count}" if not pd.isna(row.national_rank) else "-"
        quarter = (
            f"{row.quarter} {_number(row.quarter_value, unit)}{' *' if row.quarter_is_small else ''} "
            f"({'+' if (row.quarter_change or 0) >= 0 else ''}{_number(row.quarter_change, unit)})"
            if isinstance(row.quarter, str)
            else "-"
        )
        small = " *" if row.is_small_count else ""
        lines.append(
            f"{row.kpi_name[:62]:<62} {_text(row.period):>7} {_number(row.value, unit) + small:>6} "
            f"{_number(row.region_value, unit):>6} {neighbours:>10} {_number(row.england_value, unit):>7} "
            f"{rank:>8} {_text(row.quartile_band):>4}  {quarter:>24}  {_text(row.value_source)}"
        )
    if frame["is_small_count"].any() or frame["quarter_is_small"].any():
        lines.append("* fewer cases than the small-count threshold: read with care.")
    lines.append("Band: A = best quarter of authorities .. D = worst, by the KPI's polarity.")
    return "\n".join(lines)
