"""End to end, the indicators beyond EHC assessments: annual reviews, exclusions, children
missing education and NEET, recomputed independently from the raw sample files.

The demo pipeline runs once on the synthetic sample (`demo_run` in conftest.py). Everything
expected here is recomputed in pandas straight from the raw CSV files under the run's raw/
folder (annual_reviews/, exclusions/, children_missing_education/ quarterly files; the
school_census/ and neet/ returns), following the KPI definitions written below only (never
the dbt SQL), and compared with the mart's local rows (value_source 'local').

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

pytestmark = pytest.mark.e2e

TOLERANCE = 1e-9
KEYS = ["kpi_id", "period_type", "period"]
PERIOD_IN_NAME = re.compile(r"(\d{4})-(\d{2})_Q([1-4])")

PHASES = ["primary", "middle", "secondary", "special", "alternative_provision"]
SEN_STATUSES = ["ehc_plan", "sen_support", "no_sen"]

ANNUAL_REVIEW_KPIS = ["annual_reviews_overdue", "annual_reviews_overdue_pct", "annual_reviews_on_time_pct"]
PERM_COUNT_KPIS = ["perm_excl_count", *[f"perm_excl_count_{g}" for g in PHASES + SEN_STATUSES]]
RATE_KPIS = [f"{k}{s}" for k in ("perm_excl_rate", "susp_rate", "one_plus_susp_rate")
             for s in ["", *[f"_{sen}" for sen in SEN_STATUSES]]]
CME_KPIS = ["cme_referrals", "cme_closures", "cme_open_at_period_end", "cme_median_days_open", "cme_children"]
NEET_KPIS = ["neet_pct", "not_known_pct", "neet_nk_pct", "neet_pct_ehc_plan", "not_known_pct_ehc_plan",
             "neet_nk_pct_ehc_plan"]
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


def row(kpi_id: str, period_type: str, period: str, value: float,
        numerator: object = UNSPECIFIED, denominator: object = UNSPECIFIED) -> dict:
    return {"kpi_id": kpi_id, "period_type": period_type, "period": period, "value": value,
            "numerator": numerator, "denominator": denominator}


# ----------------------------------------------------------------------------------------------
# Expected rows, one function per family
# ----------------------------------------------------------------------------------------------


def annual_review_rows(data_dir: Path) -> list[dict]:
    """From each quarter's own file: overdue = not held and due strictly before the quarter's last day."""
    rows = []
    files = quarter_files(data_dir, "annual_reviews",
                          ["plan_start_date", "last_review_date", "next_review_due_date", "review_held_date"])
    for (fy, q), plans in files.items():
        period, last_day = quarter_label(fy, q), quarter_bounds(fy, q)[1]
        held = plans["review_held_date"].notna()
        overdue = int((~held & (plans["next_review_due_date"] < last_day)).sum())
        rows.append(row("annual_reviews_overdue", "financial_quarter", period, overdue, overdue, len(plans)))
        rows.append(row("annual_reviews_overdue_pct", "financial_quarter", period, 100.0 * overdue / len(plans),
                        overdue, len(plans)))
        if held.any():
            on_time = int((plans.loc[held, "review_held_date"] <= plans.loc[held, "next_review_due_date"]).sum())
            rows.append(row("annual_reviews_on_time_pct", "financial_quarter", period,
                            100.0 * on_time / int(held.sum()), on_time, int(held.sum())))
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
    periods += [("academic_year", academic_year_label(y), *academic_year_bounds(y))
                for y in covered_academic_years(quarters)]
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
            pupils = headcount["headcount"].sum() if sen is None else headcount.loc[
                headcount["sen_status"] == sen, "headcount"].sum()
            perm = permanent if sen is None else permanent[permanent["sen_status"] == sen]
            susp = suspensions if sen is None else suspensions[suspensions["sen_status"] == sen]
            for kpi, numerator in (("perm_excl_rate", len(perm)), ("susp_rate", len(susp)),
                                   ("one_plus_susp_rate", susp["pupil_id"].nunique())):
                rows.append(row(f"{kpi}{suffix}", "academic_year", label, 100.0 * numerator / pupils,
                                numerator, pupils))
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
            rows.append(row("cme_median_days_open", "financial_quarter", period, float(days_open[closed].median()),
                            None, int(closed.sum())))
    for year in covered_academic_years(set(files)):
        first, last = academic_year_bounds(year)
        open_in_year = (cases["referral_date"] <= last) & ~(cases["closure_date"] < first)
        rows.append(row("cme_children", "academic_year", academic_year_label(year),
                        cases.loc[open_in_year, "child_id"].nunique()))
    return rows


def neet_rows(data_dir: Path) -> list[dict]:
    neet = return_rows(data_dir, "neet", ["cohort", "neet", "not_known"])
    neet["neet_nk"] = neet["neet"] + neet["not_known"]
    rows = []
    for suffix, selected in (("", neet), ("_ehc_plan", neet[neet["send_status"] == "ehc_plan"])):
        monthly = selected.groupby("month")[["cohort", "neet", "not_known", "neet_nk"]].sum()
        for kpi, column in (("neet_pct", "neet"), ("not_known_pct", "not_known"), ("neet_nk_pct", "neet_nk")):
            for month, sums in monthly.iterrows():
                rows.append(row(f"{kpi}{suffix}", "month", month, 100.0 * sums[column] / sums["cohort"],
                                sums[column], sums["cohort"]))
            years = sorted({int(m[:4]) for m in monthly.index if m.endswith("-12")})
            for year in years:
                winter = [f"{year}-12", f"{year + 1}-01", f"{year + 1}-02"]
                if not set(winter) <= set(monthly.index):
                    continue
                numerator = monthly.loc[winter, column].mean()
                denominator = monthly.loc[winter, "cohort"].mean()
                rows.append(row(f"{kpi}{suffix}", "academic_year", academic_year_label(year),
                                100.0 * numerator / denominator, numerator, denominator))
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
        f"{dict(zip(KEYS, r[KEYS]))}: only in {r['_merge']}" + (
            f" (expected value {r['value_expected']!r})" if r["_merge"] == "right_only" else
            f" (mart value {r['value_mart']!r})"
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
                    f"{dict(zip(KEYS, r[KEYS]))} {column}: mart {r[f'{column}_mart']!r}, expected {wanted!r}"
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
        annual_review_rows(demo_run.data_dir) + permanent_count_rows(demo_run.data_dir)
        + exclusion_rate_rows(demo_run.data_dir) + cme_rows(demo_run.data_dir)
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
        "primary": 13, "middle": 11, "secondary": 128, "special": 10, "alternative_provision": 0,
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
