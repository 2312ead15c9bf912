"""The headline comparison table, read from the published kpi_comparison mart."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

# For each KPI: the latest calendar year that has DfE benchmarks, our own figure first
# (computed from our extracts) and DfE's published figure for us only where we have none.
_HEADLINE_SQL = """
with benchmarked as (
    select *,
        row_number() over (
            partition by kpi_id
            order by period_index desc, case when value_source = 'local' then 0 else 1 end
        ) as preference
    from (
        select *, cast(period as integer) as period_index
        from read_parquet(?)
        where period_type = 'calendar_year' and value is not null and england_value is not null
    ) as calendar_rows
),
latest_quarter as (
    select kpi_id, period as quarter, value as quarter_value, change as quarter_change,
        row_number() over (partition by kpi_id order by period_start desc) as recency
    from read_parquet(?)
    where period_type = 'financial_quarter' and value_source = 'local'
)
select
    benchmarked.la_name, benchmarked.la_code, benchmarked.region_name, benchmarked.sn_model,
    benchmarked.kpi_name, benchmarked.period, benchmarked.value_source,
    benchmarked.value, benchmarked.region_value, benchmarked.sn_mean, benchmarked.sn_count,
    benchmarked.england_value, benchmarked.national_rank, benchmarked.national_count,
    benchmarked.quartile_band, benchmarked.is_small_count,
    latest_quarter.quarter, latest_quarter.quarter_value, latest_quarter.quarter_change
from benchmarked
left join latest_quarter
    on latest_quarter.kpi_id = benchmarked.kpi_id and latest_quarter.recency = 1
where benchmarked.preference = 1
order by benchmarked.kpi_id
"""


def headline(kpi_comparison: Path) -> pd.DataFrame:
    return duckdb.execute(_HEADLINE_SQL, [str(kpi_comparison), str(kpi_comparison)]).df()


def _number(value: object, digits: int = 1) -> str:
    return "-" if value is None or pd.isna(value) else f"{value:.{digits}f}"


def render(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "No KPI has a calendar year with DfE benchmarks yet: nothing to compare."
    first = frame.iloc[0]
    lines = [
        f"{first.la_name} ({first.la_code}), {first.region_name}; statistical neighbours: {first.sn_model}",
        "Percentages. Ours = computed from our extracts ('local') or DfE's published figure for us.",
        "",
        f"{'KPI':<62} {'year':>4} {'ours':>6} {'region':>6} {'SN mean':>10} {'England':>7} "
        f"{'rank':>8} {'band':>4}  {'latest quarter':>22}  source",
    ]
    for row in frame.itertuples():
        neighbours = f"{_number(row.sn_mean)} ({row.sn_count})" if not pd.isna(row.sn_mean) else "-"
        rank = f"{row.national_rank}/{row.national_count}" if not pd.isna(row.national_rank) else "-"
        quarter = (
            f"{row.quarter} {_number(row.quarter_value)} ({'+' if (row.quarter_change or 0) >= 0 else ''}"
            f"{_number(row.quarter_change)})"
            if isinstance(row.quarter, str)
            else "-"
        )
        small = " *" if row.is_small_count else ""
        lines.append(
            f"{row.kpi_name[:62]:<62} {row.period:>4} {_number(row.value) + small:>6} {_number(row.region_value):>6} "
            f"{neighbours:>10} {_number(row.england_value):>7} {rank:>8} {row.quartile_band or '-':>4}  "
            f"{quarter:>22}  {row.value_source}"
        )
    if frame["is_small_count"].any():
        lines.append("* fewer cases than the small-count threshold: read with care.")
    lines.append("Band: A = best quarter of authorities .. D = worst, by the KPI's polarity.")
    return "\n".join(lines)
