"""The headline comparison table as `sendkpi scorecard` prints it, from the published kpi_headline mart."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

HEADLINE_MART = "kpi_headline.parquet"


def headline(marts_dir: Path) -> pd.DataFrame:
    """The published headline mart (dbt model kpi_headline: which year and quarter each KPI
    shows is decided there), one row per KPI."""
    return duckdb.execute("select * from read_parquet(?) order by kpi_id", [str(marts_dir / HEADLINE_MART)]).df()


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
