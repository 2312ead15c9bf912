"""End to end: the published mart against an independent recomputation from the raw files.

The demo pipeline (Dagster + dbt + DuckDB) runs once on the synthetic sample (`demo_run` in
conftest.py). Everything expected here is recomputed in pandas straight from the raw quarterly
extracts and the DfE-layout benchmark files, following docs/kpis.md and docs/extracts.md only
(never the dbt SQL), and compared with `marts/kpi_comparison.parquet` row by row.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.e2e

HOME_LA = "990"
TOLERANCE = 1e-9
SMALL_COUNT_THRESHOLD = 5  # docs/kpis.md: setting `small_count_threshold`, default 5

# Statutory timescales in days (docs/kpis.md "Days and deadlines"): met on day N or earlier.
PLAN_DAYS = 140
NO_PLAN_DECISION_DAYS = 112
DECISION_DAYS = 42
ADVICE_DAYS = 42

ADVICE_TYPES = ["educational_psychology", "health", "social_care", "education", "other"]
LOCAL_KPIS = [
    "ehcp_20wk_incl_exc",
    "ehcp_20wk_excl_exc",
    "ehc_no_plan_decision_16wk",
    "ehc_decision_6wk",
    "refusal_to_assess_rate",
    "advice_6wk",
    *[f"advice_6wk_{advice_type}" for advice_type in ADVICE_TYPES],
]
LOWER_IS_BETTER = {"refusal_to_assess_rate"}  # refusals: fewer is better; every other KPI: more

# docs/kpis.md "Published values": kpi_id -> (DfE file stem, value column, numerator, denominator
# column or the columns whose sum is the denominator).
PUBLISHED = {
    "ehcp_20wk_excl_exc": (
        "timeliness_20_week",
        "PC_plans_issued_20_weeks_ex",
        "plans_issued_20_weeks_ex",
        "plans_issued_den_ex",
    ),
    "ehcp_20wk_incl_exc": (
        "timeliness_20_week",
        "pc_plans_issued_within_20_weeks",
        "plans_issued_within_20_weeks",
        "plans_issued_den",
    ),
    "ehc_decision_6wk": (
        "requests",
        "request_outcome_six_weeks_pc",
        "request_outcome_six_weeks",
        ("request_outcome_six_weeks", "request_outcome_over_6_weeks"),
    ),
    "refusal_to_assess_rate": (
        "requests",
        "request_not_assess_pc",
        "requests_decided_not_to_assess",
        "requests_received_in_year",
    ),
    "ehc_no_plan_decision_16wk": (
        "assessments",
        "outcome_decision_within_time_pc",
        "outcome_decision_within_time",
        ("outcome_decision_within_time", "outcome_decision_over_time"),
    ),
    # DfE's spelling ("decsion") in the published file.
    "annual_review_decision_4wk": (
        "annual_reviews",
        "pc_decsion_4weeks",
        "number_decsion_4weeks",
        ("number_decsion_4weeks", "number_decision_gt_4weeks"),
    ),
}
HEADLINE_TOPICS = {
    "All EHC plans issued",
    "All EHC plans",
    "All requests for EHC needs assessments",
    "All EHC needs assessments",
    "All annual reviews",
}
SUPPRESSION_SYMBOLS = {"c", "x", "z", "u", "low", ":"}

BENCHMARK_COLUMNS = [
    "england_value",
    "region_value",
    "sn_mean",
    "sn_count",
    "national_rank",
    "national_count",
    "quartile_band",
]

PERIOD_IN_NAME = re.compile(r"(\d{4})-(\d{2})_Q([1-4])")


# ----------------------------------------------------------------------------------------------
# Small helpers: missing values, periods
# ----------------------------------------------------------------------------------------------


def is_missing(value: object) -> bool:
    """True for None, NaN, NA and empty text: how a NULL reaches pandas from Parquet."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def same_value(actual: object, expected: object) -> bool:
    """Both missing, or equal (numbers within TOLERANCE)."""
    if is_missing(expected) or is_missing(actual):
        return is_missing(expected) and is_missing(actual)
    if isinstance(expected, str) or isinstance(actual, str):
        return str(actual) == str(expected)
    return abs(float(actual) - float(expected)) <= TOLERANCE


def quarter_of_file(path: Path) -> tuple[int, int]:
    """(first calendar year of the financial year, quarter) from a name holding `YYYY-YY_Qn`."""
    match = PERIOD_IN_NAME.search(path.name)
    assert match, f"{path.name} carries no period"
    return int(match[1]), int(match[3])


def quarter_bounds(fy_start: int, quarter: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of a financial quarter (Q1 = April-June)."""
    first = pd.Timestamp(year=fy_start, month=4, day=1) + pd.DateOffset(months=3 * (quarter - 1))
    return first, first + pd.DateOffset(months=3) - pd.Timedelta(days=1)


def financial_quarter(date: pd.Timestamp) -> tuple[int, int]:
    """The financial quarter a date falls in, as (first year of the financial year, quarter)."""
    fy_start = date.year if date.month >= 4 else date.year - 1
    return fy_start, (date.month - 4) % 12 // 3 + 1


def quarter_label(fy_start: int, quarter: int) -> str:
    """Label such as `2023-24 Q2`."""
    return f"{fy_start}-{(fy_start + 1) % 100:02d} Q{quarter}"


def label_bounds(period_type: str, period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of a mart period label (financial quarter or calendar year)."""
    if period_type == "calendar_year":
        return pd.Timestamp(f"{period}-01-01"), pd.Timestamp(f"{period}-12-31")
    return quarter_bounds(int(period[:4]), int(period[-1]))


def previous_label(period_type: str, period: str) -> str:
    """The immediately preceding period's label (previous quarter, previous year)."""
    if period_type == "calendar_year":
        return str(int(period) - 1)
    fy_start, quarter = int(period[:4]), int(period[-1])
    return quarter_label(fy_start, quarter - 1) if quarter > 1 else quarter_label(fy_start - 1, 4)


def calendar_year_quarters(year: int) -> set[tuple[int, int]]:
    """The four financial quarters overlapping a calendar year: Q4 of one FY and Q1-Q3 of the next."""
    return {(year - 1, 4), (year, 1), (year, 2), (year, 3)}


# ----------------------------------------------------------------------------------------------
# Raw extracts: the latest state of each case
# ----------------------------------------------------------------------------------------------


def parse_dates(column: pd.Series) -> pd.Series:
    """ISO `YYYY-MM-DD` or UK `DD/MM/YYYY` dates; empty cells become NaT."""
    text = column.fillna("").astype(str).str.strip()
    iso = pd.to_datetime(text.where(text.str.match(r"^\d{4}-\d{2}-\d{2}$")), format="%Y-%m-%d", errors="coerce")
    uk = pd.to_datetime(text.where(text.str.match(r"^\d{2}/\d{2}/\d{4}$")), format="%d/%m/%Y", errors="coerce")
    return iso.fillna(uk)


def read_extract_file(path: Path) -> pd.DataFrame:
    """One quarterly file, every cell as stripped text ('' when empty)."""
    if path.suffix.lower() == ".xlsx":
        frame = pd.read_excel(path, dtype=str, keep_default_na=False)
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return frame.apply(lambda column: column.astype(str).str.strip())


def extract_files(data_dir: Path, extract: str) -> list[Path]:
    """The quarterly files of one extract (CSV or Excel)."""
    folder = data_dir / "raw" / extract
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in {".csv", ".xlsx"})


def loaded_quarters(data_dir: Path, extract: str) -> set[tuple[int, int]]:
    """Financial quarters with a file for this extract."""
    return {quarter_of_file(path) for path in extract_files(data_dir, extract)}


def as_at_date(quarters: set[tuple[int, int]]) -> pd.Timestamp:
    """The last day of the latest quarter loaded (docs/kpis.md "Which state of a case counts")."""
    return quarter_bounds(*max(quarters))[1]


def latest_rows(data_dir: Path, extract: str, key: str, date_columns: list[str]) -> pd.DataFrame:
    """Each case's row from the latest quarter file that holds it, dates parsed."""
    frames = []
    for path in extract_files(data_dir, extract):
        fy_start, quarter = quarter_of_file(path)
        frames.append(read_extract_file(path).assign(_order=fy_start * 10 + quarter))
    every = pd.concat(frames, ignore_index=True).sort_values("_order", kind="stable")
    latest = every.drop_duplicates(key, keep="last").reset_index(drop=True)
    for column in date_columns:
        latest[column] = parse_dates(latest[column])
    return latest


def latest_requests(data_dir: Path) -> pd.DataFrame:
    """EHC needs assessment requests, latest state, codes lower case."""
    requests = latest_rows(
        data_dir,
        "ehc_requests",
        "request_id",
        ["request_received_date", "decision_date", "assessment_outcome_date"],
    )
    for column in ["decision", "assessment_outcome", "exception_reason"]:
        requests[column] = requests[column].str.lower()
    return requests


def latest_advice(data_dir: Path) -> pd.DataFrame:
    """Statutory advice requests, latest state, codes lower case."""
    advice = latest_rows(
        data_dir, "advice_requests", "advice_request_id", ["advice_requested_date", "advice_received_date"]
    )
    advice["advice_type"] = advice["advice_type"].str.lower()
    return advice


def days_between(start: pd.Series, end: pd.Series) -> pd.Series:
    """Whole days from day 0 (start) to end."""
    return (end - start).dt.days


# ----------------------------------------------------------------------------------------------
# Local KPIs: which cases count where (one frame per KPI: period date, in numerator, in denominator)
# ----------------------------------------------------------------------------------------------


def counted_cases(period_date: pd.Series, numerator: pd.Series, denominator: pd.Series) -> pd.DataFrame:
    """Cases in a KPI's denominator, with the date that places them in a period."""
    frame = pd.DataFrame({"period_date": period_date, "numerator": numerator, "denominator": denominator})
    return frame[frame["denominator"]].astype({"numerator": bool})


def plan_cases(requests: pd.DataFrame, exclude_exceptions: bool) -> pd.DataFrame:
    """Final plans issued, placed by issue date; within 20 weeks = issued by day 140."""
    issued = requests["assessment_outcome"].eq("plan_issued")
    if exclude_exceptions:
        issued &= requests["exception_reason"].eq("")
    on_time = days_between(requests["request_received_date"], requests["assessment_outcome_date"]) <= PLAN_DAYS
    return counted_cases(requests["assessment_outcome_date"], issued & on_time, issued)


def no_plan_decision_cases(requests: pd.DataFrame) -> pd.DataFrame:
    """Decisions not to issue a plan after assessing, placed by the decision's date; within
    16 weeks = decided by day 112."""
    decided_no_plan = requests["assessment_outcome"].eq("plan_not_issued")
    on_time = (
        days_between(requests["request_received_date"], requests["assessment_outcome_date"]) <= NO_PLAN_DECISION_DAYS
    )
    return counted_cases(requests["assessment_outcome_date"], decided_no_plan & on_time, decided_no_plan)


def decision_cases(requests: pd.DataFrame, as_at: pd.Timestamp) -> pd.DataFrame:
    """Decisions to assess or not (plus undecided requests past their deadline, as late),
    placed by the date the request was received; withdrawn requests left out."""
    decided = requests["decision"].isin(["assess", "not_assess"])
    undecided_late = requests["decision"].eq("") & (
        requests["request_received_date"] + pd.Timedelta(days=DECISION_DAYS) <= as_at
    )
    on_time = days_between(requests["request_received_date"], requests["decision_date"]) <= DECISION_DAYS
    return counted_cases(requests["request_received_date"], decided & on_time, decided | undecided_late)


def refusal_cases(requests: pd.DataFrame) -> pd.DataFrame:
    """Every request received, refused ones in the numerator; placed by received date."""
    every = pd.Series(True, index=requests.index)
    return counted_cases(requests["request_received_date"], requests["decision"].eq("not_assess"), every)


def advice_cases(advice: pd.DataFrame, as_at: pd.Timestamp) -> pd.DataFrame:
    """Advice received, plus advice outstanding past its deadline (late), placed by due date."""
    due = advice["advice_requested_date"] + pd.Timedelta(days=ADVICE_DAYS)
    received = advice["advice_received_date"].notna()
    on_time = received & (advice["advice_received_date"] <= due)
    return counted_cases(due, on_time, received | (~received & (due <= as_at)))


def period_rows(kpi_id: str, cases: pd.DataFrame, quarters: set[tuple[int, int]]) -> list[dict]:
    """One row per financial quarter and calendar year fully covered by loaded quarters that
    has at least one case in it."""
    keyed = cases.assign(
        fq=[financial_quarter(date) for date in cases["period_date"]],
        year=cases["period_date"].dt.year,
    )
    rows = []
    for fq, group in keyed.groupby("fq"):
        if fq in quarters:
            rows.append(ratio_row(kpi_id, "financial_quarter", quarter_label(*fq), group))
    for year, group in keyed.groupby("year"):
        if calendar_year_quarters(int(year)) <= quarters:
            rows.append(ratio_row(kpi_id, "calendar_year", str(int(year)), group))
    return rows


def ratio_row(kpi_id: str, period_type: str, period: str, group: pd.DataFrame) -> dict:
    """Numerator, denominator and percentage of one period's cases."""
    numerator, denominator = int(group["numerator"].sum()), len(group)
    return {
        "kpi_id": kpi_id,
        "period_type": period_type,
        "period": period,
        "numerator": numerator,
        "denominator": denominator,
        "value": 100.0 * numerator / denominator,
    }


def expected_local_kpis(data_dir: Path) -> pd.DataFrame:
    """Every local KPI row the spec calls for, recomputed from the raw extracts."""
    request_quarters = loaded_quarters(data_dir, "ehc_requests")
    advice_quarters = loaded_quarters(data_dir, "advice_requests")
    requests, advice = latest_requests(data_dir), latest_advice(data_dir)
    advice_as_at = as_at_date(advice_quarters)
    by_kpi = {
        "ehcp_20wk_incl_exc": (plan_cases(requests, exclude_exceptions=False), request_quarters),
        "ehcp_20wk_excl_exc": (plan_cases(requests, exclude_exceptions=True), request_quarters),
        "ehc_no_plan_decision_16wk": (no_plan_decision_cases(requests), request_quarters),
        "ehc_decision_6wk": (decision_cases(requests, as_at_date(request_quarters)), request_quarters),
        "refusal_to_assess_rate": (refusal_cases(requests), request_quarters),
        "advice_6wk": (advice_cases(advice, advice_as_at), advice_quarters),
    }
    for advice_type in ADVICE_TYPES:
        one_type = advice[advice["advice_type"].eq(advice_type)]
        by_kpi[f"advice_6wk_{advice_type}"] = (advice_cases(one_type, advice_as_at), advice_quarters)
    rows = [row for kpi_id, (cases, quarters) in by_kpi.items() for row in period_rows(kpi_id, cases, quarters)]
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------------------------
# DfE published files
# ----------------------------------------------------------------------------------------------


def find_benchmark_file(benchmarks_dir: Path, stem: str) -> Path:
    """The one DfE file whose name starts with this stem, anywhere under the folder."""
    matches = sorted(benchmarks_dir.rglob(f"{stem}*.csv"))
    assert len(matches) == 1, f"expected one {stem}* file under {benchmarks_dir}, found {matches}"
    return matches[0]


def read_dfe_file(path: Path) -> pd.DataFrame:
    """A DfE CSV, every cell stripped text, headline calendar-year rows only."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame = frame.apply(lambda column: column.astype(str).str.strip())
    headline = frame["breakdown_topic"].isin(HEADLINE_TOPICS) & frame["time_identifier"].eq("Calendar year")
    return frame[headline].reset_index(drop=True)


def number(cell: str) -> float:
    """A published cell as a float; NaN for a suppression symbol or an empty cell."""
    return np.nan if cell in SUPPRESSION_SYMBOLS or cell == "" else float(cell)


def one_decimal(percentage: float) -> float:
    """Rounded to one decimal place, halves up, as DfE prints percentages."""
    return float(Decimal(repr(percentage)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def published_value(kpi_id: str, row: pd.Series) -> tuple[float, float, float, str]:
    """(value, numerator, denominator, suppression symbol or '') of one DfE row for one KPI."""
    _, value_column, numerator_column, denominator_columns = PUBLISHED[kpi_id]
    numerator = number(row[numerator_column])
    # One column, or a sum (decisions made = within the timescale + over it): NaN if a part is suppressed.
    if isinstance(denominator_columns, str):
        denominator_columns = (denominator_columns,)
    denominator = sum(number(row[column]) for column in denominator_columns)
    symbol = row[value_column] if row[value_column] in SUPPRESSION_SYMBOLS else ""
    value = number(row[value_column])
    if kpi_id == "refusal_to_assess_rate" and symbol == "x" and denominator > 0:
        value, symbol = one_decimal(100.0 * numerator / denominator), ""
    return value, numerator, denominator, symbol


def published_values(benchmarks_dir: Path) -> pd.DataFrame:
    """Every headline published value: one row per KPI, year and geography (National,
    Regional, Local authority)."""
    stems = {stem for stem, *_ in PUBLISHED.values()}
    files = {stem: read_dfe_file(find_benchmark_file(benchmarks_dir, stem)) for stem in stems}
    rows = []
    for kpi_id, (stem, *_) in PUBLISHED.items():
        for _, row in files[stem].iterrows():
            value, numerator, denominator, symbol = published_value(kpi_id, row)
            rows.append(
                {
                    "kpi_id": kpi_id,
                    "year": row["time_period"][:4],
                    "level": row["geographic_level"],
                    "old_la_code": row["old_la_code"],
                    "region_code": row["region_code"],
                    "value": value,
                    "numerator": numerator,
                    "denominator": denominator,
                    "symbol": symbol,
                }
            )
    return pd.DataFrame(rows)


def release_name(benchmarks_dir: Path) -> str:
    """`dfe_ehcp_<year after the latest time_period>` (docs/kpis.md "Published values")."""
    latest = max(
        int(row_period[:4])
        for stem in {stem for stem, *_ in PUBLISHED.values()}
        for row_period in read_dfe_file(find_benchmark_file(benchmarks_dir, stem))["time_period"]
    )
    return f"dfe_ehcp_{latest + 1}"


def statistical_neighbours(benchmarks_dir: Path, home_la: str) -> list[str]:
    """The home authority's neighbours (SN_1 .. SN_10) from the wide SN model file."""
    model = pd.read_csv(
        find_benchmark_file(benchmarks_dir, "sn_model"), dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    home = model[model["old_la_code"].str.strip().eq(home_la)]
    assert len(home) == 1, f"home authority {home_la} not in the SN model"
    columns = [column for column in model.columns if re.fullmatch(r"SN_\d+", column)]
    return [home.iloc[0][column].strip() for column in columns if home.iloc[0][column].strip()]


def home_region(published: pd.DataFrame, home_la: str) -> str:
    """The home authority's region code, from its own Local authority rows."""
    own_rows = published["old_la_code"].eq(home_la) & published["level"].eq("Local authority")
    regions = set(published.loc[own_rows, "region_code"])
    assert len(regions) == 1, f"home authority rows name regions {regions}"
    return regions.pop()


# ----------------------------------------------------------------------------------------------
# Comparisons (LAIT conventions)
# ----------------------------------------------------------------------------------------------


def national_rank_and_count(value: float, others: pd.Series, lower_is_better: bool) -> tuple[int, int]:
    """1 + others strictly better (ties share the lowest rank); others with a value + 1."""
    better = others < value if lower_is_better else others > value
    return 1 + int(better.sum()), len(others) + 1


def quartile_band(value: float, others: pd.Series, lower_is_better: bool) -> str:
    """A-D against the 25th/50th/75th percentiles (linear) of the others plus this value."""
    q25, q50, q75 = np.quantile(np.append(others.to_numpy(dtype=float), value), [0.25, 0.5, 0.75], method="linear")
    if lower_is_better:
        return "A" if value <= q25 else "B" if value <= q50 else "C" if value <= q75 else "D"
    return "A" if value >= q75 else "B" if value >= q50 else "C" if value >= q25 else "D"


def single_value(frame: pd.DataFrame) -> float:
    """The value of a one-row selection; NaN when there is no row."""
    assert len(frame) <= 1, f"expected at most one row, got {len(frame)}"
    return float(frame["value"].iloc[0]) if len(frame) else np.nan


def expected_benchmarks(
    kpi_id: str, year: str, value: float, published: pd.DataFrame, neighbours: list[str], region: str
) -> dict:
    """Every benchmark column of one calendar-year row of the home authority."""
    empty = dict.fromkeys(BENCHMARK_COLUMNS)
    same = published[published["kpi_id"].eq(kpi_id) & published["year"].eq(year)]
    las = same[same["level"].eq("Local authority") & same["value"].notna()]
    others = las.loc[~las["old_la_code"].eq(HOME_LA), "value"]
    if same.empty or others.empty:  # nothing published to compare with
        return empty
    lower = kpi_id in LOWER_IS_BETTER
    sn_values = las.loc[las["old_la_code"].isin(neighbours), "value"]
    rank, count = national_rank_and_count(value, others, lower) if not is_missing(value) else (None, None)
    return {
        "england_value": single_value(same[same["level"].eq("National")]),
        "region_value": single_value(same[same["level"].eq("Regional") & same["region_code"].eq(region)]),
        "sn_mean": float(sn_values.mean()) if len(sn_values) else np.nan,
        "sn_count": len(sn_values),
        "national_rank": rank,
        "national_count": count,
        "quartile_band": quartile_band(value, others, lower) if not is_missing(value) else None,
    }


def expected_previous(rows: pd.DataFrame) -> pd.DataFrame:
    """previous_value/change for one series' rows (kpi, period type, local or published):
    only from the immediately preceding period."""
    by_period = dict(zip(rows["period"], rows["value"], strict=True))
    previous = [
        by_period.get(previous_label(period_type, period), np.nan)
        for period_type, period in zip(rows["period_type"], rows["period"], strict=True)
    ]
    previous = pd.Series(previous, index=rows.index, dtype=float)
    return pd.DataFrame({"previous_value": previous, "change": rows["value"].astype(float) - previous})


# ----------------------------------------------------------------------------------------------
# Fixtures
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mart(demo_run) -> pd.DataFrame:
    """The mart's EHC rows; the other families are recomputed in test_end_to_end_indicators.py."""
    everything = pd.read_parquet(demo_run.kpi_comparison)
    return everything[everything["kpi_id"].isin([*LOCAL_KPIS, *PUBLISHED])].reset_index(drop=True)


@pytest.fixture(scope="module")
def expected_local(demo_run) -> pd.DataFrame:
    return expected_local_kpis(demo_run.data_dir)


@pytest.fixture(scope="module")
def published(demo_run) -> pd.DataFrame:
    return published_values(demo_run.benchmarks_dir)


def mismatches(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], columns: list[str]) -> list[str]:
    """Readable list of cells that differ between two frames joined on keys."""
    joined = actual.merge(expected, on=keys, how="outer", suffixes=("_mart", "_expected"), indicator=True)
    unmatched = joined[joined["_merge"] != "both"]
    problems = [
        f"{dict(zip(keys, row[keys], strict=False))}: only in {row['_merge']}" for _, row in unmatched.iterrows()
    ]
    for _, row in joined[joined["_merge"] == "both"].iterrows():
        for column in columns:
            got, want = row[f"{column}_mart"], row[f"{column}_expected"]
            if not same_value(got, want):
                problems.append(f"{dict(zip(keys, row[keys], strict=False))} {column}: mart {got!r}, expected {want!r}")
    return problems


# ----------------------------------------------------------------------------------------------
# 1. Local KPIs
# ----------------------------------------------------------------------------------------------


def test_local_kpi_rows_match_recomputation_from_raw_extracts(mart, expected_local):
    """Same (kpi, period type, period) rows; same numerator, denominator and value."""
    local = mart[mart["value_source"].eq("local")]
    keys = ["kpi_id", "period_type", "period"]
    assert not local.duplicated(keys).any(), "duplicate local rows"
    assert set(expected_local["kpi_id"]) == set(LOCAL_KPIS), "the sample should produce every local KPI"
    assert set(expected_local["period_type"]) == {"financial_quarter", "calendar_year"}
    problems = mismatches(local, expected_local, keys, ["numerator", "denominator", "value"])
    assert not problems, "local KPI rows differ from the recomputation:\n" + "\n".join(problems)


def test_rows_carry_period_bounds_polarity_and_small_count_flag(mart):
    """Every row's period_start/end match its label and polarity its KPI; local rows flag small counts."""
    for _, row in mart.iterrows():
        start, end = label_bounds(row["period_type"], row["period"])
        assert pd.Timestamp(row["period_start"]) == start and pd.Timestamp(row["period_end"]) == end, row["period"]
        expected_polarity = "lower_is_better" if row["kpi_id"] in LOWER_IS_BETTER else "higher_is_better"
        assert row["polarity"] == expected_polarity, row["kpi_id"]
        assert row["la_code"] == HOME_LA
    local = mart[mart["value_source"].eq("local")]
    assert (local["is_small_count"] == (local["denominator"] < SMALL_COUNT_THRESHOLD)).all()
    assert local["value"].between(0, 100).all()


# ----------------------------------------------------------------------------------------------
# 2. Published rows of the home authority
# ----------------------------------------------------------------------------------------------


def test_published_rows_equal_the_dfe_figures(mart, published, demo_run):
    """One row per KPI and published year, named after the release, values as printed."""
    release = release_name(demo_run.benchmarks_dir)
    rows = mart[~mart["value_source"].eq("local")]
    assert set(rows["value_source"]) == {release}
    assert set(rows["period_type"]) == {"calendar_year"}
    home = published[published["old_la_code"].eq(HOME_LA) & published["level"].eq("Local authority")]
    columns = ["kpi_id", "period", "value", "numerator", "denominator", "symbol"]
    expected = home.rename(columns={"year": "period"})[columns]
    keys = ["kpi_id", "period"]
    assert not rows.duplicated(keys).any(), "duplicate published rows"
    problems = mismatches(rows, expected, keys, ["value", "numerator", "denominator"])
    assert not problems, "published rows differ from the DfE files:\n" + "\n".join(problems)
    reasons = rows.merge(expected, on=keys)
    suppressed = reasons["symbol"].ne("")
    assert reasons.loc[suppressed, "value_missing_reason"].map(lambda r: not is_missing(r)).all()
    assert reasons.loc[~suppressed, "value_missing_reason"].map(is_missing).all()


# ----------------------------------------------------------------------------------------------
# 3. Comparison columns
# ----------------------------------------------------------------------------------------------


def expected_calendar_year_comparisons(
    years: pd.DataFrame, published: pd.DataFrame, benchmarks_dir: Path
) -> pd.DataFrame:
    """Benchmark, previous-value and change columns for the mart's calendar-year rows,
    recomputed from the benchmark CSVs and the rows' own values."""
    neighbours = statistical_neighbours(benchmarks_dir, HOME_LA)
    region = home_region(published, HOME_LA)
    years = years.copy()
    years["series"] = np.where(years["value_source"].eq("local"), "local", "published")
    rows = []
    for _, row in years.iterrows():
        benchmarks = expected_benchmarks(row["kpi_id"], row["period"], row["value"], published, neighbours, region)
        keys = {"kpi_id": row["kpi_id"], "period": row["period"], "value_source": row["value_source"]}
        rows.append({**keys, **benchmarks})
    previous = pd.concat([expected_previous(group) for _, group in years.groupby(["kpi_id", "series"])])
    return pd.DataFrame(rows, index=years.index).join(previous)


def test_calendar_year_comparisons_match_recomputation(mart, published, demo_run):
    """england/region value, SN mean and count, rank, count, quartile band, previous and change."""
    years = mart[mart["period_type"].eq("calendar_year")].reset_index(drop=True)
    expected = expected_calendar_year_comparisons(years, published, demo_run.benchmarks_dir)
    keys = ["kpi_id", "period", "value_source"]
    problems = mismatches(years, expected, keys, [*BENCHMARK_COLUMNS, "previous_value", "change"])
    assert not problems, "calendar-year comparisons differ:\n" + "\n".join(problems)


def test_benchmarks_are_exercised_by_the_sample(published, demo_run):
    """The sample's quirks reach the comparisons: some years lack a neighbour's value."""
    neighbours = statistical_neighbours(demo_run.benchmarks_dir, HOME_LA)
    las = published[published["level"].eq("Local authority")]
    with_value = las[las["value"].notna() & las["old_la_code"].isin(neighbours)]
    counts = with_value.groupby(["kpi_id", "year"]).size()
    assert counts.min() < len(neighbours) == counts.max(), "some year should lack a neighbour's value"


def test_financial_quarter_rows_have_no_benchmarks_and_consecutive_previous(mart):
    """Quarters: benchmark columns NULL; previous_value only from the immediately preceding quarter."""
    quarters = mart[mart["period_type"].eq("financial_quarter")].reset_index(drop=True)
    assert len(quarters) and set(quarters["value_source"]) == {"local"}
    for column in BENCHMARK_COLUMNS:
        assert quarters[column].map(is_missing).all(), f"{column} set on a financial-quarter row"
    expected = pd.concat([expected_previous(group) for _, group in quarters.groupby("kpi_id")])
    expected = quarters[["kpi_id", "period"]].join(expected)
    problems = mismatches(quarters, expected, ["kpi_id", "period"], ["previous_value", "change"])
    assert not problems, "quarterly previous_value/change differ:\n" + "\n".join(problems)
    assert quarters["previous_value"].notna().any() and quarters["previous_value"].isna().any()


# ----------------------------------------------------------------------------------------------
# 4. Boundaries: day 140/141 and day 42/43
# ----------------------------------------------------------------------------------------------


def test_boundary_days_are_in_the_sample_and_classified_as_the_spec_says(demo_run, mart):
    """Plans on day 140 (within) and 141 (late), decisions and advice on day 42 (within) and 43 (late),
    each in a period the mart reports (so the boundary is exercised end to end)."""
    requests, advice = latest_requests(demo_run.data_dir), latest_advice(demo_run.data_dir)
    as_at = as_at_date(loaded_quarters(demo_run.data_dir, "ehc_requests"))
    plan_days = days_between(requests["request_received_date"], requests["assessment_outcome_date"])
    plans = plan_cases(requests, exclude_exceptions=False)
    decision_days = days_between(requests["request_received_date"], requests["decision_date"])
    decisions = decision_cases(requests, as_at)
    advice_days = days_between(advice["advice_requested_date"], advice["advice_received_date"])
    advice_counted = advice_cases(advice, as_at_date(loaded_quarters(demo_run.data_dir, "advice_requests")))

    local_quarters = mart.loc[mart["value_source"].eq("local") & mart["period_type"].eq("financial_quarter")]
    for label, kpi_id, days, counted, within_day in [
        ("plan", "ehcp_20wk_incl_exc", plan_days, plans, PLAN_DAYS),
        ("decision", "ehc_decision_6wk", decision_days, decisions, DECISION_DAYS),
        ("advice", "advice_6wk", advice_days, advice_counted, ADVICE_DAYS),
    ]:
        reported = set(local_quarters.loc[local_quarters["kpi_id"].eq(kpi_id), "period"])
        in_mart = counted[[quarter_label(*financial_quarter(date)) in reported for date in counted["period_date"]]]
        on_day = in_mart.index.intersection(days.index[days.eq(within_day)])
        day_after = in_mart.index.intersection(days.index[days.eq(within_day + 1)])
        assert len(on_day) and len(day_after), f"no reported {label} on day {within_day} and {within_day + 1}"
        assert in_mart.loc[on_day, "numerator"].all(), f"{label} on day {within_day} must be within"
        assert not in_mart.loc[day_after, "numerator"].any(), f"{label} on day {within_day + 1} must be late"


# ----------------------------------------------------------------------------------------------
# 5. No person-level data in the marts
# ----------------------------------------------------------------------------------------------

PERSON_LEVEL_TOKENS = {
    "id",
    "pseudonym",
    "pseudonymised",
    "child",
    "birth",
    "dob",
    "upn",
    "nhs",
    "person",
    "forename",
    "surname",
    "firstname",
    "lastname",
    "postcode",
    "address",
}
NON_PERSON_IDS = {"kpi_id"}  # identifiers of things, not of people
NON_PERSON_NAMES = {"la_name", "kpi_name", "region_name", "file_name", "group_name"}  # group: a comparator group


def person_level_column(name: str) -> bool:
    """True when a column name looks like it identifies or describes a person."""
    lower = name.lower()
    if lower in NON_PERSON_IDS or lower in NON_PERSON_NAMES:
        return False
    tokens = set(re.split(r"[^a-z0-9]+", lower))
    return bool(tokens & PERSON_LEVEL_TOKENS) or "date_of_birth" in lower or "name" in tokens or "pseudonym" in lower


def raw_identifiers(data_dir: Path) -> set[str]:
    """Every request_id, child_id and advice_request_id in the raw extracts."""
    ids: set[str] = set()
    for extract, columns in [
        ("ehc_requests", ["request_id", "child_id"]),
        ("advice_requests", ["advice_request_id", "request_id"]),
    ]:
        for path in extract_files(data_dir, extract):
            frame = read_extract_file(path)
            for column in columns:
                ids.update(value for value in frame[column] if value)
    return ids


def text_cells(frame: pd.DataFrame) -> set[str]:
    """Every non-numeric cell as text, plus its word-like pieces (to catch ids inside messages)."""
    cells: set[str] = set()
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_bool_dtype(frame[column]):
            continue
        for value in frame[column].dropna():
            text = str(value)
            cells.add(text)
            cells.update(re.split(r"[\s,;:()'\"\[\]{}=|]+", text))
    return cells


def mart_files(demo_run) -> list[Path]:
    files = sorted(demo_run.marts_dir.rglob("*.parquet"))
    assert demo_run.kpi_comparison in files
    return files


def test_marts_have_no_person_level_columns(demo_run):
    """No column in any mart names a person-level identifier or attribute."""
    for path in mart_files(demo_run):
        columns = pd.read_parquet(path).columns
        offending = [column for column in columns if person_level_column(column)]
        assert not offending, f"{path.name} has person-level columns {offending}"


def test_marts_hold_no_raw_identifier(demo_run):
    """No raw request, advice request or child id appears in any mart."""
    ids = raw_identifiers(demo_run.data_dir)
    assert ids, "the sample extracts should hold ids"
    for path in mart_files(demo_run):
        leaked = ids & text_cells(pd.read_parquet(path))
        assert not leaked, f"{path.name} holds raw ids, e.g. {sorted(leaked)[:5]}"
