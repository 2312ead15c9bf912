"""End to end, the indicators beyond EHC assessments: annual reviews, exclusions, children
missing education and NEET, recomputed independently from the raw sample files.

The demo pipeline runs once on the synthetic sample (`demo_run` in conftest.py). Everything
expected here is recomputed in pandas straight from the raw CSV files under the run's raw/
folder (annual_reviews/, exclusions/, children_missing_education/ quarterly files; the
school_census/ and neet/ returns), following the KPI definitions written below only (never
the dbt SQL), and compared with the mart's local rows (value_source 'local').

The last section does the same for DfE's published academic-year figures (exclusions, NEET,
children missing education; the DfE-layout CSVs under the run's benchmarks folder) and for the
comparison columns (England, region, statistical neighbours, rank, quartile band, previous
value, change) of every academic-year row of those KPIs, local and published, following
docs/kpis.md "Published values (DfE)" and "Comparisons (DfE LAIT conventions)".

Period labels: financial quarter "2023-24 Q2", academic year "2022/23", month "2023-09".
A financial quarter gets a row only when its file is loaded; an academic year (1 September -
31 August) only when every day of it lies in a quarter whose file is loaded.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.test_end_to_end import (
    HOME_LA,
    SUPPRESSION_SYMBOLS,
    home_region,
    is_missing,
    national_rank_and_count,
    quartile_band,
    same_value,
    single_value,
    statistical_neighbours,
)
from tests.test_end_to_end import mismatches as frame_mismatches

pytestmark = pytest.mark.e2e

TOLERANCE = 1e-9
KEYS = ["kpi_id", "period_type", "period"]
PERIOD_IN_NAME = re.compile(r"(\d{4})-(\d{2})_Q([1-4])")

PHASES = ["primary", "middle", "secondary", "special", "alternative_provision"]
SEN_STATUSES = ["ehc_plan", "sen_support", "no_sen"]

ANNUAL_REVIEW_KPIS = ["annual_reviews_overdue", "annual_reviews_overdue_pct", "annual_reviews_on_time_pct"]
PERM_COUNT_KPIS = ["perm_excl_count", *[f"perm_excl_count_{g}" for g in PHASES + SEN_STATUSES]]
RATE_KPIS = [
    f"{k}{s}"
    for k in ("perm_excl_rate", "susp_rate", "one_plus_susp_rate")
    for s in ["", *[f"_{sen}" for sen in SEN_STATUSES]]
]
CME_KPIS = ["cme_referrals", "cme_closures", "cme_open_at_period_end", "cme_median_days_open", "cme_children"]
NEET_KPIS = [
    "neet_pct",
    "not_known_pct",
    "neet_nk_pct",
    "neet_pct_ehc_plan",
    "not_known_pct_ehc_plan",
    "neet_nk_pct_ehc_plan",
]
INDICATOR_KPIS = ANNUAL_REVIEW_KPIS + PERM_COUNT_KPIS + RATE_KPIS + CME_KPIS + NEET_KPIS

# A key absent from an expected row: the definition says nothing about that column.
UNSPECIFIED = "unspecified"


# ----------------------------------------------------------------------------------------------
# Periods
# ----------------------------------------------------------------------------------------------


def quarter_bounds(fy_start: int, quarter: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    first = pd.Timestamp(year=fy_start, month=4, day=1) + pd.DateOffset(months=3 * (quarter - 1))
    return first, first + pd.DateOffset(months=3) - pd.Timedelta(days=1)


def quarter_label(fy_start: int, quarter: int) -> str:
    return f"{fy_start}-{(fy_start + 1) % 100:02d} Q{quarter}"


def academic_year_label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def academic_year_bounds(start_year: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    return pd.Timestamp(f"{start_year}-09-01"), pd.Timestamp(f"{start_year + 1}-08-31")


def quarters_of_academic_year(start_year: int) -> set[tuple[int, int]]:
    """September is in Q2 of the financial year starting that April; August in Q2 of the next."""
    return {(start_year, 2), (start_year, 3), (start_year, 4), (start_year + 1, 1), (start_year + 1, 2)}


def covered_academic_years(quarters: set[tuple[int, int]]) -> list[int]:
    years = range(min(q[0] for q in quarters) - 1, max(q[0] for q in quarters) + 1)
    return [year for year in years if quarters_of_academic_year(year) <= quarters]


# ----------------------------------------------------------------------------------------------
# Raw files
# ----------------------------------------------------------------------------------------------


def parse_dates(column: pd.Series) -> pd.Series:
    """ISO `YYYY-MM-DD` or UK `DD/MM/YYYY` dates; empty cells become NaT."""
    text = column.fillna("").astype(str).str.strip()
    iso = pd.to_datetime(text.where(text.str.match(r"^\d{4}-\d{2}-\d{2}$")), format="%Y-%m-%d", errors="coerce")
    uk = pd.to_datetime(text.where(text.str.match(r"^\d{2}/\d{2}/\d{4}$")), format="%d/%m/%Y", errors="coerce")
    return iso.fillna(uk)


def read_csv(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return frame.apply(lambda column: column.astype(str).str.strip())


def quarter_files(data_dir: Path, extract: str, dates: list[str]) -> dict[tuple[int, int], pd.DataFrame]:
    """Each loaded quarter's file (fy_start, quarter) -> rows, dates parsed."""
    files = {}
    for path in sorted((data_dir / "raw" / extract).glob("*.csv")):
        match = PERIOD_IN_NAME.search(path.name)
        assert match, f"{path.name} carries no period"
        frame = read_csv(path)
        for column in dates:
            frame[column] = parse_dates(frame[column])
        files[(int(match[1]), int(match[3]))] = frame
    assert files, f"no {extract} files in the sample"
    return files


def latest_state(files: dict[tuple[int, int], pd.DataFrame], key: str) -> pd.DataFrame:
    """Each case (key) as it stands in the latest file holding it."""
    every = pd.concat([frame.assign(_order=fy * 10 + q) for (fy, q), frame in files.items()], ignore_index=True)
    return every.sort_values("_order", kind="stable").drop_duplicates(key, keep="last").reset_index(drop=True)


def return_rows(data_dir: Path, folder: str, numbers: list[str]) -> pd.DataFrame:
    frame = pd.concat([read_csv(path) for path in sorted((data_dir / "raw" / folder).glob("*.csv"))], ignore_index=True)
    for column in numbers:
        frame[column] = frame[column].str.replace(",", "", regex=False).astype(float)
    return frame


def row(
    kpi_id: str,
    period_type: str,
    period: str,
    value: float,
    numerator: object = UNSPECIFIED,
    denominator: object = UNSPECIFIED,
) -> dict:
    return {
        "kpi_id": kpi_id,
        "period_type": period_type,
        "period": period,
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
    }


# ----------------------------------------------------------------------------------------------
# Expected rows, one function per family
# ----------------------------------------------------------------------------------------------


def annual_review_rows(data_dir: Path) -> list[dict]:
    """From each quarter's own file: overdue = not held and due strictly before the quarter's last day."""
    rows = []
    files = quarter_files(
        data_dir, "annual_reviews", ["plan_start_date", "last_review_date", "next_review_due_date", "review_held_date"]
    )
    for (fy, q), plans in files.items():
        period, last_day = quarter_label(fy, q), quarter_bounds(fy, q)[1]
        held = plans["review_held_date"].notna()
        overdue = int((~held & (plans["next_review_due_date"] < last_day)).sum())
        # A count (docs/kpis.md): numerator = the count, no denominator.
        rows.append(row("annual_reviews_overdue", "financial_quarter", period, overdue, overdue, None))
        rows.append(
            row(
                "annual_reviews_overdue_pct",
                "financial_quarter",
                period,
                100.0 * overdue / len(plans),
                overdue,
                len(plans),
            )
        )
        if held.any():
            on_time = int((plans.loc[held, "review_held_date"] <= plans.loc[held, "next_review_due_date"]).sum())
            rows.append(
                row(
                    "annual_reviews_on_time_pct",
                    "financial_quarter",
                    period,
                    100.0 * on_time / int(held.sum()),
                    on_time,
                    int(held.sum()),
                )
            )
    return rows


def exclusions(data_dir: Path) -> tuple[pd.DataFrame, set[tuple[int, int]]]:
    files = quarter_files(data_dir, "exclusions", ["start_date"])
    every = latest_state(files, "exclusion_id")
    for column in ("school_phase", "sen_status", "exclusion_type"):
        every[column] = every[column].str.lower()
    return every, set(files)


def permanent_count_rows(data_dir: Path) -> list[dict]:
    """Permanent exclusions by start date, per covered quarter and academic year, 0 when none."""
    every, quarters = exclusions(data_dir)
    permanent = every[every["exclusion_type"] == "permanent"]
    periods = [("financial_quarter", quarter_label(*fq), *quarter_bounds(*fq)) for fq in sorted(quarters)]
    periods += [
        ("academic_year", academic_year_label(y), *academic_year_bounds(y)) for y in covered_academic_years(quarters)
    ]
    groups = {"perm_excl_count": pd.Series(True, index=permanent.index)}
    groups |= {f"perm_excl_count_{phase}": permanent["school_phase"] == phase for phase in PHASES}
    groups |= {f"perm_excl_count_{sen}": permanent["sen_status"] == sen for sen in SEN_STATUSES}
    rows = []
    for period_type, period, first, last in periods:
        in_period = permanent["start_date"].between(first, last)
        for kpi_id, selected in groups.items():
            count = int((in_period & selected).sum())
            rows.append(row(kpi_id, period_type, period, count, count, None))
    return rows


def exclusion_rate_rows(data_dir: Path) -> list[dict]:
    """Rates per 100 pupils on roll (school census headcount of the academic year)."""
    every, quarters = exclusions(data_dir)
    census = return_rows(data_dir, "school_census", ["headcount"])
    rows = []
    for year in covered_academic_years(quarters):
        label = academic_year_label(year)
        headcount = census[census["academic_year"] == label]
        if headcount.empty:
            continue
        in_year = every[every["start_date"].between(*academic_year_bounds(year))]
        permanent = in_year[in_year["exclusion_type"] == "permanent"]
        suspensions = in_year[in_year["exclusion_type"] == "suspension"]
        for suffix, sen in [("", None), *[(f"_{s}", s) for s in SEN_STATUSES]]:
            pupils = (
                headcount["headcount"].sum()
                if sen is None
                else headcount.loc[headcount["sen_status"] == sen, "headcount"].sum()
            )
            perm = permanent if sen is None else permanent[permanent["sen_status"] == sen]
            susp = suspensions if sen is None else suspensions[suspensions["sen_status"] == sen]
            for kpi, numerator in (
                ("perm_excl_rate", len(perm)),
                ("susp_rate", len(susp)),
                ("one_plus_susp_rate", susp["pupil_id"].nunique()),
            ):
                rows.append(
                    row(f"{kpi}{suffix}", "academic_year", label, 100.0 * numerator / pupils, numerator, pupils)
                )
    return rows


def cme_rows(data_dir: Path) -> list[dict]:
    files = quarter_files(data_dir, "children_missing_education", ["referral_date", "closure_date"])
    cases = latest_state(files, "case_id")
    days_open = (cases["closure_date"] - cases["referral_date"]).dt.days
    rows = []
    for (fy, q), own_file in sorted(files.items()):
        period, (first, last) = quarter_label(fy, q), quarter_bounds(fy, q)
        referred = int(cases["referral_date"].between(first, last).sum())
        closed = cases["closure_date"].between(first, last)
        open_at_end = int(own_file["closure_date"].isna().sum())
        rows.append(row("cme_referrals", "financial_quarter", period, referred))
        rows.append(row("cme_closures", "financial_quarter", period, int(closed.sum())))
        rows.append(row("cme_open_at_period_end", "financial_quarter", period, open_at_end))
        if closed.any():
            rows.append(
                row(
                    "cme_median_days_open",
                    "financial_quarter",
                    period,
                    float(days_open[closed].median()),
                    None,
                    int(closed.sum()),
                )
            )
    for year in covered_academic_years(set(files)):
        first, last = academic_year_bounds(year)
        open_in_year = (cases["referral_date"] <= last) & ~(cases["closure_date"] < first)
        rows.append(
            row(
                "cme_children",
                "academic_year",
                academic_year_label(year),
                cases.loc[open_in_year, "child_id"].nunique(),
            )
        )
    return rows


def neet_rows(data_dir: Path) -> list[dict]:
    neet = return_rows(data_dir, "neet", ["cohort", "neet", "not_known"])
    neet["neet_nk"] = neet["neet"] + neet["not_known"]
    rows = []
    for suffix, selected in (("", neet), ("_ehc_plan", neet[neet["send_status"] == "ehc_plan"])):
        monthly = selected.groupby("month")[["cohort", "neet", "not_known", "neet_nk"]].sum()
        for kpi, column in (("neet_pct", "neet"), ("not_known_pct", "not_known"), ("neet_nk_pct", "neet_nk")):
            for month, sums in monthly.iterrows():
                rows.append(
                    row(
                        f"{kpi}{suffix}",
                        "month",
                        month,
                        100.0 * sums[column] / sums["cohort"],
                        sums[column],
                        sums["cohort"],
                    )
                )
            years = sorted({int(m[:4]) for m in monthly.index if m.endswith("-12")})
            for year in years:
                winter = [f"{year}-12", f"{year + 1}-01", f"{year + 1}-02"]
                if not set(winter) <= set(monthly.index):
                    continue
                numerator = monthly.loc[winter, column].mean()
                denominator = monthly.loc[winter, "cohort"].mean()
                rows.append(
                    row(
                        f"{kpi}{suffix}",
                        "academic_year",
                        academic_year_label(year),
                        100.0 * numerator / denominator,
                        numerator,
                        denominator,
                    )
                )
    return rows


# ----------------------------------------------------------------------------------------------
# Comparing
# ----------------------------------------------------------------------------------------------


def missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def same(actual: object, expected: object) -> bool:
    if missing(expected) or missing(actual):
        return missing(expected) and missing(actual)
    return abs(float(actual) - float(expected)) <= TOLERANCE


def mismatches(local: pd.DataFrame, expected: list[dict], kpis: list[str]) -> list[str]:
    """Rows only on one side, and cells that differ (value always; numerator and denominator
    where the definition gives them)."""
    mart = local[local["kpi_id"].isin(kpis)]
    want = pd.DataFrame(expected)
    joined = mart.merge(want, on=KEYS, how="outer", suffixes=("_mart", "_expected"), indicator=True)
    problems = [
        f"{dict(zip(KEYS, r[KEYS], strict=False))}: only in {r['_merge']}"
        + (
            f" (expected value {r['value_expected']!r})"
            if r["_merge"] == "right_only"
            else f" (mart value {r['value_mart']!r})"
        )
        for _, r in joined[joined["_merge"] != "both"].iterrows()
    ]
    for _, r in joined[joined["_merge"] == "both"].iterrows():
        for column in ("value", "numerator", "denominator"):
            wanted = r[f"{column}_expected"]
            if isinstance(wanted, str) and wanted == UNSPECIFIED:
                continue
            if not same(r[f"{column}_mart"], wanted):
                problems.append(
                    f"{dict(zip(KEYS, r[KEYS], strict=False))} {column}: mart {r[f'{column}_mart']!r}, expected {wanted!r}"
                )
    return problems


@pytest.fixture(scope="module")
def mart(demo_run) -> pd.DataFrame:
    return pd.read_parquet(demo_run.kpi_comparison)


@pytest.fixture(scope="module")
def local(mart) -> pd.DataFrame:
    rows = mart[mart["value_source"].eq("local")]
    missing_kpis = sorted(set(INDICATOR_KPIS) - set(rows["kpi_id"]))
    assert not missing_kpis, f"the mart has no local rows for {missing_kpis}"
    return rows


FAMILIES = {
    "annual reviews": (annual_review_rows, ANNUAL_REVIEW_KPIS),
    "permanent exclusion counts": (permanent_count_rows, PERM_COUNT_KPIS),
    "exclusion rates": (exclusion_rate_rows, RATE_KPIS),
    "children missing education": (cme_rows, CME_KPIS),
    "NEET": (neet_rows, NEET_KPIS),
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_local_rows_match_recomputation_from_raw_files(local, demo_run, family):
    """The same (kpi, period type, period) rows, no more and no fewer; same values."""
    recompute, kpis = FAMILIES[family]
    expected = recompute(demo_run.data_dir)
    assert {r["kpi_id"] for r in expected} == set(kpis), "the sample should produce every KPI of the family"
    assert not local[local["kpi_id"].isin(kpis)].duplicated(KEYS).any(), "duplicate local rows"
    problems = mismatches(local, expected, kpis)
    assert not problems, f"{family}: {len(problems)} differences from the recomputation:\n" + "\n".join(problems[:60])


def test_expected_periods_are_the_covered_ones(demo_run):
    """The sample covers 2021-22 Q1 - 2023-24 Q4: academic years 2021/22 and 2022/23 only."""
    expected = pd.DataFrame(
        annual_review_rows(demo_run.data_dir)
        + permanent_count_rows(demo_run.data_dir)
        + exclusion_rate_rows(demo_run.data_dir)
        + cme_rows(demo_run.data_dir)
    )
    years = expected.loc[expected["period_type"] == "academic_year", "period"]
    assert set(years) == {"2021/22", "2022/23"}
    quarters = expected.loc[expected["period_type"] == "financial_quarter", "period"]
    assert set(quarters) == {quarter_label(fy, q) for fy in (2021, 2022, 2023) for q in (1, 2, 3, 4)}
    neet = pd.DataFrame(neet_rows(demo_run.data_dir))
    assert set(neet.loc[neet["period_type"] == "academic_year", "period"]) == {"2021/22", "2022/23", "2023/24"}
    assert neet.loc[neet["period_type"] == "month", "period"].nunique() == 36


# ----------------------------------------------------------------------------------------------
# Seed 004 and the shapes a reader expects
# ----------------------------------------------------------------------------------------------


def test_seed_004_permanent_exclusions_2022_23_in_the_mart(local):
    year = local[(local["period_type"] == "academic_year") & (local["period"] == "2022/23")].set_index("kpi_id")
    assert year.at["perm_excl_count", "value"] == 162
    assert {phase: year.at[f"perm_excl_count_{phase}", "value"] for phase in PHASES} == {
        "primary": 13,
        "middle": 11,
        "secondary": 128,
        "special": 10,
        "alternative_provision": 0,
    }


def test_seed_004_children_missing_education_2023_24_q2_in_the_mart(local):
    q2 = local[(local["period_type"] == "financial_quarter") & (local["period"] == "2023-24 Q2")].set_index("kpi_id")
    assert q2.at["cme_closures", "value"] == 224
    assert q2.at["cme_open_at_period_end", "value"] == 422


def test_cme_referrals_peak_in_q2_every_financial_year(local):
    referrals = local[(local["kpi_id"] == "cme_referrals") & (local["period_type"] == "financial_quarter")]
    by_year = referrals.assign(year=referrals["period"].str[:7]).groupby("year")
    assert len(by_year) == 3
    for year, quarters in by_year:
        values = dict(zip(quarters["period"].str[-2:], quarters["value"], strict=True))
        assert sorted(values) == ["Q1", "Q2", "Q3", "Q4"], year
        assert max(values, key=values.get) == "Q2", (year, values)


def test_neet_not_known_peaks_in_september_and_the_headline_uses_the_winter_months(local):
    months = local[(local["kpi_id"] == "not_known_pct") & (local["period_type"] == "month")].set_index("period")
    for year in (2021, 2022, 2023):
        september = months.at[f"{year}-09", "value"]
        winter = [months.at[m, "value"] for m in (f"{year}-12", f"{year + 1}-01", f"{year + 1}-02")]
        assert september > 3 * max(winter)
        headline = local[(local["kpi_id"] == "not_known_pct") & (local["period"] == f"{year}/{(year + 1) % 100:02d}")]
        assert len(headline) == 1 and min(winter) - TOLERANCE <= headline["value"].iloc[0] <= max(winter) + TOLERANCE


# ----------------------------------------------------------------------------------------------
# Published DfE values and comparisons (academic years)
#
# Recomputed from the DfE-layout sample CSVs under the run's benchmarks folder (exclusions_
# synthetic/, neet_synthetic/, cme_synthetic/, reference/) following docs/kpis.md "Published
# values (DfE)" and "Comparisons (DfE LAIT conventions)" only, never the dbt SQL; compared with
# every academic-year row of these KPIs in the mart, local and published.
# ----------------------------------------------------------------------------------------------

# kpi_id -> (value column, numerator column); the denominator is the headcount.
DFE_EXCLUSION_KPIS = {
    "perm_excl_rate": ("perm_excl_rate", "perm_excl"),
    "susp_rate": ("susp_rate", "suspension"),
    "one_plus_susp_rate": ("one_plus_susp_rate", "one_plus_susp"),
}
# kpi_id (before any `_ehc_plan` suffix) -> (value column, numerator column), 2026 names; the
# denominator is avg_cohort_count.
DFE_NEET_KPIS = {
    "neet_pct": ("neet_percent", "avg_neet_count"),
    "not_known_pct": ("nk_percent", "avg_nk_count"),
    "neet_nk_pct": ("neet_nk_percent", "avg_neet_nk_count"),
}
# The 2025 release's names (lower-cased) -> the 2026 release's.
NEET_2025_NAMES = {
    "avgcohort": "avg_cohort_count",
    "avgneet": "avg_neet_count",
    "avgnk": "avg_nk_count",
    "avgneetnk": "avg_neet_nk_count",
    "neetprop": "neet_percent",
    "notknownprop": "nk_percent",
    "neetnkprop": "neet_nk_percent",
}
NEET_HEADLINE_AGES = {"Total", "16-17", "16 to 17"}
# DfE's label for young people with an EHC plan: "EHC plan" up to the 2025 release, spelt out in
# the 2026 release (the same group, so the same `_ehc_plan` series).
NEET_EHC_PLAN_LABELS = {"EHC plan", "Education, health and care plan"}
# The CME 2024/25 layout's names -> the 2025/26 layout's.
CME_2024_25_NAMES = {
    "filter_group": "breakdown_topic",
    "filter": "breakdown",
    "number": "child_count",
    "pc": "child_percent",
    "rate": "rate_per_100",
}
NEUTRAL_KPIS = {"cme_children", "cme_children_census", "cme_rate_per_100"}  # counts and volumes: no rank, no band
ACADEMIC_YEAR_KPIS = [
    *DFE_EXCLUSION_KPIS,
    *[f"{kpi}{suffix}" for suffix in ("", "_ehc_plan") for kpi in DFE_NEET_KPIS],
    "cme_children",
]
COMPARISON_COLUMNS = [
    "england_value",
    "region_value",
    "sn_mean",
    "sn_count",
    "sn_included",
    "national_rank",
    "national_count",
    "quartile_band",
]
ROW_KEYS = ["kpi_id", "period", "value_source"]


def read_dfe_csv(path: Path) -> pd.DataFrame:
    """A DfE CSV (byte-order mark, CRLF), every cell stripped text, column names lower case."""
    frame = read_csv(path)
    frame.columns = [column.strip().lower() for column in frame.columns]
    return frame


def published_number(cell: str) -> float:
    """A published cell as a float (thousands separators allowed); NaN for a symbol or ''."""
    if cell == "" or cell in SUPPRESSION_SYMBOLS:
        return np.nan
    return float(cell.replace(",", ""))


def academic_period(time_period: str, time_identifier: str, calendar_allowed: bool) -> str:
    """DfE's 202223 ("Academic year") -> '2022/23'; for NEET also 2023 ("Calendar year": the
    year the December-February window ends, here December 2022 to February 2023) -> '2022/23'
    (SEND-KPIS.md, "Published DfE data")."""
    if time_identifier == "Academic year":
        assert re.fullmatch(r"\d{6}", time_period), time_period
        start = int(time_period[:4])
        assert int(time_period[4:]) == (start + 1) % 100, time_period
        return academic_year_label(start)
    assert calendar_allowed and time_identifier == "Calendar year", (time_period, time_identifier)
    assert re.fullmatch(r"\d{4}", time_period), time_period
    return academic_year_label(int(time_period) - 1)


def release_year(frame: pd.DataFrame) -> int:
    """The year after the latest time_period in the file (docs/kpis.md "Published values"); a
    NEET "Calendar year" period is published in the year it names (its window ends then)."""
    return max(
        int(period[:4]) + (identifier != "Calendar year")
        for period, identifier in zip(frame["time_period"], frame["time_identifier"], strict=False)
    )


def published_row(
    frame_row: pd.Series,
    kpi_id: str,
    period: str,
    value_column: str,
    numerator_column: str,
    denominator_column: str | None,
) -> dict:
    value_cell = frame_row[value_column]
    return {
        "kpi_id": kpi_id,
        "period": period,
        "level": frame_row["geographic_level"],
        "old_la_code": frame_row["old_la_code"],
        "region_code": frame_row["region_code"],
        "value": published_number(value_cell),
        "numerator": published_number(frame_row[numerator_column]),
        "denominator": published_number(frame_row[denominator_column]) if denominator_column else np.nan,
        "symbol": value_cell if value_cell in SUPPRESSION_SYMBOLS else "",
    }


def exclusion_published_rows(path: Path) -> list[dict]:
    """Exclusions by geography: the `education_phase` (older files `school_type`) Total rows."""
    frame = read_dfe_csv(path)
    phase = "education_phase" if "education_phase" in frame.columns else "school_type"
    assert phase in frame.columns, f"{path.name} has neither education_phase nor school_type"
    release = release_year(frame)
    rows = []
    for _, line in frame[frame[phase].eq("Total")].iterrows():
        period = academic_period(line["time_period"], line["time_identifier"], calendar_allowed=False)
        for kpi_id, (value_column, numerator_column) in DFE_EXCLUSION_KPIS.items():
            rows.append(
                {
                    **published_row(line, kpi_id, period, value_column, numerator_column, "headcount"),
                    "release": f"dfe_exclusions_{release}",
                    "release_year": release,
                }
            )
    return rows


def neet_published_rows(path: Path) -> list[dict]:
    """NEET 16-17 by characteristics: age Total/16-17; characteristic Total (grouping Total) for
    the headline KPIs, the EHC plan characteristic for the `_ehc_plan` ones."""
    frame = read_dfe_csv(path).rename(columns=NEET_2025_NAMES)
    release = release_year(frame)
    headline_age = frame["age"].isin(NEET_HEADLINE_AGES)
    total = frame["characteristic"].eq("Total") & frame["characteristic_grouping"].eq("Total")
    ehc_plan = frame["characteristic"].isin(NEET_EHC_PLAN_LABELS)
    rows = []
    for suffix, selected in (("", headline_age & total), ("_ehc_plan", headline_age & ehc_plan)):
        for _, line in frame[selected].iterrows():
            period = academic_period(line["time_period"], line["time_identifier"], calendar_allowed=True)
            for kpi, (value_column, numerator_column) in DFE_NEET_KPIS.items():
                rows.append(
                    {
                        **published_row(
                            line, f"{kpi}{suffix}", period, value_column, numerator_column, "avg_cohort_count"
                        ),
                        "release": f"dfe_neet_{release}",
                        "release_year": release,
                    }
                )
    return rows


def cme_published_rows(path: Path) -> list[dict]:
    """Children missing education at any time during the academic year (the full-year file,
    column cme_full_year, Total row): the academic-year KPI cme_children. The census-day files
    are another measure, per term (cme_census_rows)."""
    frame = read_dfe_csv(path)
    if "cme_full_year" not in frame.columns:
        return []
    release = release_year(frame)
    rows = []
    for _, line in frame[frame["breakdown_topic"].eq("Total") & frame["breakdown"].eq("Total")].iterrows():
        period = academic_period(line["time_period"], line["time_identifier"], calendar_allowed=False)
        rows.append(
            {
                **published_row(line, "cme_children", period, "cme_full_year", "cme_full_year", None),
                "release": f"dfe_cme_full_year_{release}",
                "release_year": release,
            }
        )
    return rows


TERMS = {"Autumn term": "Autumn", "Spring term": "Spring", "Summer term": "Summer"}


def cme_census_rows(benchmarks_dir: Path) -> pd.DataFrame:
    """The census-day files' Total rows: one count and one rate per geography and term."""
    rows = []
    for path in sorted((benchmarks_dir / "cme_synthetic").glob("*.csv")):
        frame = read_dfe_csv(path).rename(columns=CME_2024_25_NAMES)
        if "child_count" not in frame.columns:
            continue
        for _, line in frame[frame["breakdown_topic"].eq("Total") & frame["breakdown"].eq("Total")].iterrows():
            start = int(line["time_period"][:4])
            term = f"{academic_year_label(start)} {TERMS[line['time_identifier']]} term"
            for kpi_id, column in (("cme_children_census", "child_count"), ("cme_rate_per_100", "rate_per_100")):
                rows.append({**published_row(line, kpi_id, term, column, "child_count", None)})
    return pd.DataFrame(rows)


def academic_published_values(benchmarks_dir: Path) -> pd.DataFrame:
    """Every published value of the academic-year KPIs: one row per KPI, year and geography,
    from the newest release publishing that KPI and year."""
    readers = {
        "exclusions_synthetic": exclusion_published_rows,
        "neet_synthetic": neet_published_rows,
        "cme_synthetic": cme_published_rows,
    }
    rows = []
    for folder, reader in readers.items():
        paths = sorted((benchmarks_dir / folder).glob("*.csv"))
        assert len(paths) >= 2, f"expected two DfE layouts under {folder}, found {paths}"
        for path in paths:
            rows += reader(path)
    every = pd.DataFrame(rows)
    newest = every.groupby(["kpi_id", "period"])["release_year"].transform("max")
    published = every[every["release_year"].eq(newest)].reset_index(drop=True)
    geography = ["kpi_id", "period", "level", "region_code", "old_la_code"]
    assert not published.duplicated(geography).any(), "one release publishes a geography twice"
    return published


def reference_region(benchmarks_dir: Path, home_la: str) -> str:
    """The home authority's region from the reference region/LA hierarchy file."""
    (path,) = sorted(benchmarks_dir.rglob("region_la_hierarchy*.csv"))
    hierarchy = read_dfe_csv(path)
    regions = set(hierarchy.loc[hierarchy["old_la_code"].eq(home_la), "region_code"])
    assert len(regions) == 1, f"{home_la} in regions {regions}"
    return regions.pop()


def expected_published_home_rows(published: pd.DataFrame) -> pd.DataFrame:
    home = published[published["level"].eq("Local authority") & published["old_la_code"].eq(HOME_LA)]
    return home.rename(columns={"release": "value_source"})[
        ["kpi_id", "period", "value_source", "value", "numerator", "denominator", "symbol"]
    ].reset_index(drop=True)


def expected_local_academic_rows(data_dir: Path) -> pd.DataFrame:
    """The local academic-year rows of these KPIs, values recomputed from the raw extracts above."""
    rows = pd.DataFrame(exclusion_rate_rows(data_dir) + neet_rows(data_dir) + cme_rows(data_dir))
    rows = rows[rows["kpi_id"].isin(ACADEMIC_YEAR_KPIS) & rows["period_type"].eq("academic_year")]
    return rows.assign(value_source="local")[["kpi_id", "period", "value_source", "value"]].reset_index(drop=True)


def academic_comparison(
    kpi_id: str, period: str, value: float, published: pd.DataFrame, neighbours: list[str], region: str
) -> dict:
    """England, region, neighbours, rank, count and band of one home-authority row."""
    same_year = published[published["kpi_id"].eq(kpi_id) & published["period"].eq(period)]
    if same_year.empty:  # DfE publishes nothing for that year: nothing to compare with
        return dict.fromkeys(COMPARISON_COLUMNS)
    las = same_year[same_year["level"].eq("Local authority") & same_year["value"].notna()]
    others = las.loc[~las["old_la_code"].eq(HOME_LA) & ~las["old_la_code"].str.contains("/"), "value"]
    with_value = las[las["old_la_code"].isin(neighbours)]
    ranked = kpi_id not in NEUTRAL_KPIS and not is_missing(value)
    rank, count = national_rank_and_count(value, others, lower_is_better=True) if ranked else (None, None)
    return {
        "england_value": single_value(same_year[same_year["level"].eq("National")]),
        "region_value": single_value(
            same_year[same_year["level"].eq("Regional") & same_year["region_code"].eq(region)]
        ),
        "sn_mean": float(with_value["value"].mean()) if len(with_value) else np.nan,
        "sn_count": len(with_value),
        "sn_included": ",".join(sorted(with_value["old_la_code"])) or None,
        "national_rank": rank,
        "national_count": count,
        "quartile_band": quartile_band(value, others, lower_is_better=True) if ranked and len(others) else None,
    }


def previous_academic_year(period: str) -> str:
    return academic_year_label(int(period[:4]) - 1)


def expected_academic_year_rows(data_dir: Path, benchmarks_dir: Path) -> pd.DataFrame:
    """Every academic-year row of these KPIs (local and published) with its value and its
    comparison, previous-value and change columns."""
    published = academic_published_values(benchmarks_dir)
    region = reference_region(benchmarks_dir, HOME_LA)
    assert home_region(published, HOME_LA) == region, "the DfE files put the home authority in another region"
    neighbours = statistical_neighbours(benchmarks_dir, HOME_LA)
    rows = pd.concat(
        [expected_local_academic_rows(data_dir), expected_published_home_rows(published)], ignore_index=True
    )
    comparisons = pd.DataFrame(
        [
            academic_comparison(r["kpi_id"], r["period"], r["value"], published, neighbours, region)
            for _, r in rows.iterrows()
        ],
        index=rows.index,
    )
    rows = rows.join(comparisons)
    # Same series: local with local, published with published (whichever release).
    series = np.where(rows["value_source"].eq("local"), "local", "published")
    values = {(k, s, p): v for k, s, p, v in zip(rows["kpi_id"], series, rows["period"], rows["value"], strict=True)}
    rows["previous_value"] = [
        values.get((k, s, previous_academic_year(p)), np.nan)
        for k, s, p in zip(rows["kpi_id"], series, rows["period"], strict=True)
    ]
    rows["change"] = rows["value"].astype(float) - rows["previous_value"].astype(float)
    return rows


@pytest.fixture(scope="module")
def academic_published(demo_run) -> pd.DataFrame:
    return academic_published_values(demo_run.benchmarks_dir)


@pytest.fixture(scope="module")
def academic_expected(demo_run) -> pd.DataFrame:
    return expected_academic_year_rows(demo_run.data_dir, demo_run.benchmarks_dir)


@pytest.fixture(scope="module")
def academic_mart(mart) -> pd.DataFrame:
    rows = mart[mart["kpi_id"].isin(ACADEMIC_YEAR_KPIS) & mart["period_type"].eq("academic_year")]
    assert not rows.duplicated(ROW_KEYS).any(), "duplicate academic-year rows"
    return rows.reset_index(drop=True)


def test_published_academic_year_rows_equal_the_dfe_figures(academic_mart, academic_expected):
    """One row per KPI and year DfE publishes for the home authority, named after the (newest)
    release, value, numerator and denominator as printed; suppressed values NULL with a reason."""
    expected = academic_expected[~academic_expected["value_source"].eq("local")]
    assert set(expected["kpi_id"]) == set(ACADEMIC_YEAR_KPIS), "the sample should publish every KPI"
    assert set(expected["value_source"].str.extract(r"^dfe_([a-z_]+?)_\d{4}$")[0]) == {
        "exclusions",
        "neet",
        "cme_full_year",
    }
    rows = academic_mart[~academic_mart["value_source"].eq("local")]
    problems = frame_mismatches(rows, expected, ROW_KEYS, ["value", "numerator", "denominator"])
    assert not problems, f"{len(problems)} published academic-year rows differ from the DfE files:\n" + "\n".join(
        problems[:60]
    )
    joined = rows.merge(expected, on=ROW_KEYS)
    suppressed = joined["symbol"].ne("")
    assert joined.loc[suppressed, "value_missing_reason"].map(lambda reason: not is_missing(reason)).all()
    assert joined.loc[~suppressed, "value_missing_reason"].map(is_missing).all()


def test_academic_year_comparisons_match_recomputation(academic_mart, academic_expected):
    """Local and published academic-year rows: the same rows, values, England and region values,
    neighbour mean, count and list, rank, count, quartile band, previous value and change."""
    assert set(academic_expected.loc[academic_expected["value_source"].eq("local"), "kpi_id"]) == (
        set(ACADEMIC_YEAR_KPIS)
    ), "every academic-year KPI should have local rows"
    columns = ["value", *COMPARISON_COLUMNS, "previous_value", "change"]
    problems = frame_mismatches(academic_mart, academic_expected, ROW_KEYS, columns)
    assert not problems, f"{len(problems)} academic-year comparisons differ:\n" + "\n".join(problems[:80])


def test_academic_year_comparisons_are_exercised_by_the_sample(
    academic_mart, academic_expected, academic_published, demo_run
):
    """The sample's quirks reach the comparisons: in some year a neighbour has no value (952
    before it existed, a suppressed cell), and previous values are both there and not."""
    neighbours = statistical_neighbours(demo_run.benchmarks_dir, HOME_LA)
    las = academic_published[academic_published["level"].eq("Local authority")]
    with_value = las[las["value"].notna() & las["old_la_code"].isin(neighbours)]
    counts = with_value.groupby(["kpi_id", "period"]).size()
    assert counts.min() < len(neighbours) == counts.max(), "some year should lack a neighbour's value"
    assert (academic_expected["sn_count"] < len(neighbours)).any()
    assert (academic_mart["sn_count"] < len(neighbours)).any(), "no mart row shows a missing neighbour"
    for frame in (academic_expected, academic_mart):
        assert frame["previous_value"].notna().any() and frame["previous_value"].isna().any()
        assert frame["quartile_band"].map(is_missing).any() and not frame["quartile_band"].map(is_missing).all()


def test_neutral_kpis_have_no_rank_or_band_and_the_others_do(academic_mart):
    """CME counts and rates are neutral: England, region and neighbours but no rank, count or
    band; every other academic-year KPI here is lower-is-better and ranked."""
    neutral = academic_mart[academic_mart["kpi_id"].isin(NEUTRAL_KPIS)]
    assert len(neutral) and set(neutral["polarity"]) == {"neutral"}
    for column in ("national_rank", "national_count", "quartile_band"):
        assert neutral[column].map(is_missing).all(), f"{column} set on a neutral KPI"
    assert neutral["england_value"].notna().all() and neutral["sn_mean"].notna().all()
    ranked = academic_mart[~academic_mart["kpi_id"].isin(NEUTRAL_KPIS)]
    assert set(ranked["polarity"]) == {"lower_is_better"}
    with_value = ranked[ranked["value"].notna()]
    assert with_value["national_rank"].notna().all() and with_value["quartile_band"].notna().all()


def test_cme_census_counts_are_termly_published_only_and_never_beside_the_local_count(mart, demo_run):
    """DfE's census-day counts land in their own KPIs, per term, with DfE's figures; the local
    during-the-year count (cme_children) is compared with the full-year file only."""
    census = cme_census_rows(demo_run.benchmarks_dir)
    assert len(census), "the sample should hold census-day files"
    home = census[census["level"].eq("Local authority") & census["old_la_code"].eq(HOME_LA)]
    rows = mart[mart["kpi_id"].isin(["cme_children_census", "cme_rate_per_100"])]
    assert set(rows["period_type"]) == {"term"} and set(rows["value_source"]) != {"local"}
    assert not rows["value_source"].eq("local").any()
    for _, expected in home.iterrows():
        [row] = rows[rows["kpi_id"].eq(expected["kpi_id"]) & rows["period"].eq(expected["period"])].to_dict("records")
        assert same_value(row["value"], expected["value"]), (expected["kpi_id"], expected["period"])
        england = census[
            census["level"].eq("National")
            & census["kpi_id"].eq(expected["kpi_id"])
            & census["period"].eq(expected["period"])
        ]
        assert same_value(row["england_value"], single_value(england))
    local = mart[mart["kpi_id"].eq("cme_children")]
    assert set(local["period_type"]) == {"academic_year"}
    assert set(local.loc[~local["value_source"].eq("local"), "value_source"].str[:18]) == {"dfe_cme_full_year_"}
