"""What the scrutiny pack shows, read from the published files.

KPI figures come from the public export (data/published/kpi_comparison_public.csv), so the
pack carries the same small-count suppression as the open data (`c`, secondary suppression
included); the interval and significance columns come from the published mart, and only for
rows the public file shows. The DSG tables come from the published DSG marts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.public_export import SUPPRESSED, public_export_path
from pipelines.settings import Settings

# The families of the quarterly dashboard (paper 004), by KPI id.
FAMILIES = (
    ("EHC assessments and advice", ("ehcp_", "ehc_", "refusal_to_assess", "advice_")),
    ("Annual reviews", ("annual_reviews_",)),
    ("Exclusions", ("perm_excl", "susp_", "one_plus_susp")),
    ("Children missing education", ("cme_",)),
    ("NEET 16-17", ("neet_", "not_known_")),
)
YEARLY = ("calendar_year", "academic_year")


def family_of(kpi_id: str) -> str:
    for name, prefixes in FAMILIES:
        if kpi_id.startswith(prefixes):
            return name
    return "Other"


@dataclass(frozen=True)
class PackContent:
    authority: str
    rows: pd.DataFrame  # every KPI row as published, with interval and significance
    headline: pd.DataFrame  # one row per KPI: its latest yearly figure, else its latest quarter
    dsg_monitoring: pd.DataFrame
    dsg_projection: pd.DataFrame
    dfe_files: pd.DataFrame
    run_id: str


def _number(text: object) -> float | None:
    if text is None or text == "" or text == SUPPRESSED or pd.isna(text):
        return None
    return float(text)


def read_content(settings: Settings, run_id: str) -> PackContent:
    public = pd.read_csv(public_export_path(settings), dtype=str, keep_default_na=False)
    mart = settings.marts_dir / "kpi_comparison.parquet"
    extra = duckdb.execute(
        "select kpi_id, period_type, period, value_source, value_ci_lower, value_ci_upper, "
        "significance_vs_england, significance_vs_neighbours from read_parquet(?)",
        [str(mart)],
    ).df()
    rows = public.merge(extra, on=["kpi_id", "period_type", "period", "value_source"], how="left")
    shown = rows["value"] != SUPPRESSED
    for column in ("value_ci_lower", "value_ci_upper", "significance_vs_england", "significance_vs_neighbours"):
        rows[column] = rows[column].where(shown)
    for column in ("value", "england_value", "region_value", "sn_mean", "change", "previous_value"):
        rows[f"{column}_number"] = rows[column].map(_number)
    rows["family"] = rows["kpi_id"].map(family_of)
    rows["is_yearly"] = rows["period_type"].isin(YEARLY)
    rows = rows.sort_values(["family", "kpi_id", "period_type", "period_start", "value_source"], ignore_index=True)
    return PackContent(
        authority=f"{public['la_name'].iloc[0]} ({public['la_code'].iloc[0]})" if len(public) else settings.home_la,
        rows=rows,
        headline=_headline(rows),
        dsg_monitoring=_read(settings.marts_dir / "dsg_monitoring.parquet"),
        dsg_projection=_read(settings.marts_dir / "dsg_deficit_projection.parquet"),
        dfe_files=_read(settings.marts_dir / "dfe_file_status.parquet"),
        run_id=run_id,
    )


def _read(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.is_file() else pd.DataFrame()


def _headline(rows: pd.DataFrame) -> pd.DataFrame:
    """Per KPI: the latest yearly row with a benchmark (ours before DfE's figure for us, unless
    ours is suppressed and DfE's is not), else the latest row of any period; as the dashboard
    leads with the benchmarked year."""
    ranked = rows.assign(
        has_england=rows["england_value"] != "",
        is_shown=rows["value"] != SUPPRESSED,
        is_local=rows["value_source"] == "local",
    ).sort_values(
        ["kpi_id", "is_yearly", "has_england", "period_end", "is_shown", "is_local"],
        ascending=[True, False, False, False, False, False],
    )
    return ranked.groupby("kpi_id", sort=False).head(1).sort_values(["family", "kpi_id"], ignore_index=True)
