"""What the scrutiny pack shows, read from the published files.

KPI figures come from the public export (data/published/kpi_comparison_public.csv), so the
pack carries the same small-count suppression as the open data (`c`, secondary suppression
included); the interval and significance columns come from the published mart, and only for
rows the public file shows. So do comparator-group ranks (a rank would place a suppressed
value) and trends (a line through published quarters and one suppressed quarter would give
that quarter away): a trend is shown only where every quarter in it is published. Every
authority's values (the ranked bars) and the group means are DfE's published figures. The DSG
tables come from the published DSG marts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.public_export import SUPPRESSED, public_export_path
from pipelines.releases import PublishedSet
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
    dsg_thresholds: pd.DataFrame
    dfe_files: pd.DataFrame
    trends: pd.DataFrame  # kpi_trend, only the KPIs whose trend quarters are all published
    comparator_groups: pd.DataFrame  # kpi_comparator_groups for the published rows
    authority_values: pd.DataFrame  # kpi_authority_values: every authority, as DfE published
    run_id: str

    @property
    def group_names(self) -> list[str]:
        return sorted(self.comparator_groups["group_name"].unique()) if len(self.comparator_groups) else []


def _number(text: object) -> float | None:
    if text is None or text == "" or text == SUPPRESSED or pd.isna(text):
        return None
    return float(text)


def read_content(settings: Settings, run_id: str, published: PublishedSet) -> PackContent:
    """What the pack shows, from the set `published` (its public file and its marts)."""
    public = pd.read_csv(public_export_path(published), dtype=str, keep_default_na=False)
    mart = published.marts_dir / "kpi_comparison.parquet"
    extra = duckdb.execute(
        "select kpi_id, period_type, period, value_source, value_ci_lower, value_ci_upper, "
        "significance_vs_england, significance_vs_neighbours, extract_version from read_parquet(?)",
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
        dsg_monitoring=_monitoring_in_order(_read(published.marts_dir / "dsg_monitoring.parquet")),
        dsg_projection=_read(published.marts_dir / "dsg_deficit_projection.parquet"),
        dsg_thresholds=_sorted(_read(published.marts_dir / "dsg_deficit_threshold.parquet"), ["scenario", "measure"]),
        dfe_files=_read(published.marts_dir / "dfe_file_status.parquet"),
        trends=_published_trends(_read(published.marts_dir / "kpi_trend.parquet"), rows),
        comparator_groups=_published_group_figures(_read(published.marts_dir / "kpi_comparator_groups.parquet"), rows),
        authority_values=_read(published.marts_dir / "kpi_authority_values.parquet"),
        run_id=run_id,
    )


def _published_trends(trends: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """The trends whose every quarter is in the public file and not suppressed."""
    if trends.empty:
        return trends
    quarters = rows[(rows["period_type"] == "financial_quarter") & (rows["value_source"] == "local")]
    keep = []
    for trend in trends.itertuples():
        series = quarters[quarters["kpi_id"] == trend.kpi_id]
        start = series.loc[series["period"] == trend.first_period, "period_start"]
        end = series.loc[series["period"] == trend.latest_period, "period_start"]
        if start.empty or end.empty:
            keep.append(False)
            continue
        in_window = series[(series["period_start"] >= start.iloc[0]) & (series["period_start"] <= end.iloc[0])]
        keep.append(bool((in_window["value"] != SUPPRESSED).all()) and len(in_window) == trend.quarters_used)
    return trends[keep].reset_index(drop=True)


def _published_group_figures(groups: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Group figures for the rows the public file has; our rank only where our value is shown."""
    if groups.empty:
        return groups
    shown = rows[["kpi_id", "period_type", "period", "value_source", "value"]].rename(columns={"value": "public_value"})
    merged = groups.drop(columns=["value"]).merge(shown, on=["kpi_id", "period_type", "period", "value_source"])
    suppressed = merged["public_value"] == SUPPRESSED
    merged["group_rank"] = merged["group_rank"].astype("Int64").mask(suppressed)
    merged["group_rank_count"] = merged["group_rank_count"].astype("Int64").mask(suppressed)
    return merged.sort_values(["group_name", "kpi_id", "period_type", "period", "value_source"], ignore_index=True)


def _monitoring_in_order(monitoring: pd.DataFrame) -> pd.DataFrame:
    """By year and period, each period's blocks with its total last."""
    if monitoring.empty:
        return monitoring
    return (
        monitoring.assign(is_total=monitoring["block"] == "total")
        .sort_values(["financial_year", "period", "is_total"], kind="stable", ignore_index=True)
        .drop(columns="is_total")
    )


def _sorted(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame.sort_values(columns, ignore_index=True) if len(frame) else frame


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
    order = {name: position for position, (name, _) in enumerate(FAMILIES)}
    headline = ranked.groupby("kpi_id", sort=False).head(1)
    # In the dashboard's order of families (paper 004), as the sections below follow.
    return (
        headline.assign(family_order=headline["family"].map(order).fillna(len(order)))
        .sort_values(["family_order", "kpi_id"], ignore_index=True)
        .drop(columns="family_order")
    )
