"""The synthetic sample: deterministic, labelled, true to docs/extracts.md and DfE's layouts."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from schemas.ehc_requests import EXCEPTION_REASONS
from synthetic_sample import (
    HOME_LA_NEW_CODE,
    HOME_LA_OLD_CODE,
    SAMPLE_PERIODS,
    authorities,
    ehc_benchmarks,
    write_sample_benchmarks,
    write_sample_extracts,
)
from synthetic_sample.common import quarter_bounds

REPO = Path(__file__).resolve().parents[1]
DFE = REPO.parent / "shared" / "data" / "dfe"
REQUEST_DATES = ["request_received_date", "decision_date", "assessment_outcome_date"]
ADVICE_DATES = ["advice_requested_date", "advice_received_date"]


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("raw")
    write_sample_extracts(raw)
    return raw


@pytest.fixture(scope="module")
def benchmarks_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("benchmarks")
    write_sample_benchmarks(folder)
    return folder


def _read(path: Path) -> pd.DataFrame:
    """Every cell as text, empty cells as '' (as a loader sees the file)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _quarter_files(raw_dir: Path, extract: str) -> list[tuple[str, pd.DataFrame]]:
    files = sorted((raw_dir / extract).glob("*.csv"))
    return [(re.search(r"\d{4}-\d{2}_Q\d", f.name)[0], _read(f)) for f in files]


def _dates(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame[columns].apply(lambda column: pd.to_datetime(column.replace("", None), format="%Y-%m-%d"))


def _latest_requests(raw_dir: Path) -> pd.DataFrame:
    """Each request's row from the latest quarter it appears in (what the warehouse keeps)."""
    frames = [frame.assign(period=period) for period, frame in _quarter_files(raw_dir, "ehc_requests")]
    every = pd.concat(frames, ignore_index=True).sort_values("period")
    latest = every.drop_duplicates("request_id", keep="last").reset_index(drop=True)
    return pd.concat([latest.drop(columns=REQUEST_DATES), _dates(latest, REQUEST_DATES)], axis=1)


def _spec_columns(section: str) -> list[str]:
    """Column names listed in docs/extracts.md's table for one extract."""
    text = (REPO / "docs" / "extracts.md").read_text(encoding="utf-8")
    table = text.split(f"## `{section}/`")[1].split("\n\n")[1]
    rows = [line for line in table.splitlines() if line.startswith("|")]
    return [line.split("|")[1].strip() for line in rows[2:]]


def _needs_real_data() -> None:
    if not DFE.is_dir():
        pytest.skip(f"real DfE files not found at {DFE}: header comparison needs them")


# --- determinism and labelling --------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path):
    def snapshot(folder: Path, seed: int) -> dict[str, bytes]:
        paths = write_sample_extracts(folder / "raw", seed) + write_sample_benchmarks(folder / "bench", seed)
        return {str(p.relative_to(folder)): p.read_bytes() for p in paths}

    first, again, other = snapshot(tmp_path / "a", 7), snapshot(tmp_path / "b", 7), snapshot(tmp_path / "c", 8)
    assert first == again
    assert first.keys() == other.keys()
    assert (
        first["raw/ehc_requests/ehc_requests_synthetic_2023-24_Q4.csv"]
        != other["raw/ehc_requests/ehc_requests_synthetic_2023-24_Q4.csv"]
    )


def test_every_file_is_labelled_synthetic(tmp_path):
    paths = write_sample_extracts(tmp_path / "raw") + write_sample_benchmarks(tmp_path / "bench")
    # 12 quarters of two extracts, 6 DSG monitoring periods and the DSG balances, 8 DfE files
    # (EHC plans, reference, README) and 7 exclusions / NEET / CME files (two layouts each, and
    # CME's full-year file), 12 quarters of annual reviews, exclusions and CME, the school
    # census and NEET returns
    assert len(paths) == 2 * 12 + 6 + 1 + 8 + 7 + 3 * 12 + 2
    assert all(p.exists() for p in paths)
    assert all("synthetic" in p.name for p in paths if p.name != "README.md")
    readme = (tmp_path / "bench" / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in readme and "fictional" in readme


def test_sample_periods_are_the_twelve_financial_quarters():
    assert len(SAMPLE_PERIODS) == 12
    assert SAMPLE_PERIODS[0] == "2021-22_Q1" and SAMPLE_PERIODS[-1] == "2023-24_Q4"
    assert quarter_bounds("2021-22_Q4") == (pd.Timestamp("2022-01-01"), pd.Timestamp("2022-03-31"))


# --- local extracts -------------------------------------------------------------------------


@pytest.mark.parametrize("extract", ["ehc_requests", "advice_requests"])
def test_extract_columns_follow_the_spec(raw_dir, extract):
    if not (REPO / "docs" / "extracts.md").exists():
        pytest.skip("docs/extracts.md not found")
    files = _quarter_files(raw_dir, extract)
    assert [period for period, _ in files] == SAMPLE_PERIODS
    for _, frame in files:
        assert list(frame.columns) == _spec_columns(extract)


@pytest.mark.parametrize(
    "extract, key, date_columns, first_date, closed",
    [
        ("ehc_requests", "request_id", REQUEST_DATES, "request_received_date", None),
        ("advice_requests", "advice_request_id", ADVICE_DATES, "advice_requested_date", "advice_received_date"),
    ],
)
def test_each_file_holds_cases_open_during_its_quarter_with_no_future_dates(
    raw_dir, extract, key, date_columns, first_date, closed
):
    for period, frame in _quarter_files(raw_dir, extract):
        start, end = quarter_bounds(period)
        assert frame[key].is_unique, period
        dates = _dates(frame, date_columns)
        assert (dates.isna() | (dates <= end)).all().all(), f"{period}: a date after the quarter end"
        if closed is None:
            closed_on = dates["assessment_outcome_date"].fillna(
                dates["decision_date"].where(frame["decision"].isin(["not_assess", "withdrawn"]))
            )
        else:
            closed_on = dates[closed]
        assert (dates[first_date] <= end).all()
        assert not (closed_on < start).any(), f"{period}: a case closed before the quarter started"


def test_request_rows_are_internally_consistent(raw_dir):
    for period, frame in _quarter_files(raw_dir, "ehc_requests"):
        dates = _dates(frame, REQUEST_DATES)
        assert ((frame["decision"] == "") == dates["decision_date"].isna()).all(), period
        assert ((frame["assessment_outcome"] == "") == dates["assessment_outcome_date"].isna()).all(), period
        assert ((frame["assessment_outcome"] == "") | (frame["decision"] == "assess")).all(), period
        assert not (dates["decision_date"] < dates["request_received_date"]).any(), period
        assert not (dates["assessment_outcome_date"] < dates["decision_date"]).any(), period
        assert frame["decision"].isin(["", "assess", "not_assess", "withdrawn"]).all()
        assert frame["exception_reason"].isin(["", *EXCEPTION_REASONS]).all()
        assert frame["age_at_request"].astype(int).between(0, 25).all()
        assert frame["request_id"].str.fullmatch(r"REQ-\d{6}").all()
        assert frame["child_id"].str.fullmatch(r"CHD-\d{6}").all()


def test_first_quarter_carries_in_open_cases(raw_dir):
    _, first = _quarter_files(raw_dir, "ehc_requests")[0]
    assert (pd.to_datetime(first["request_received_date"]) < pd.Timestamp("2021-04-01")).sum() > 20


def test_earlier_files_show_cases_as_they_stood_then(raw_dir):
    files = dict(_quarter_files(raw_dir, "ehc_requests"))
    earlier, later = files["2022-23_Q1"], files["2022-23_Q2"]
    both = earlier.merge(later, on="request_id", suffixes=("_then", "_now"))
    decided_later = both[(both["decision_then"] == "") & (both["decision_now"] != "")]
    assert len(decided_later) > 0
    assert (pd.to_datetime(decided_later["decision_date_now"]) > pd.Timestamp("2022-06-30")).all()


def test_requests_per_quarter_rise(raw_dir):
    received = _latest_requests(raw_dir)["request_received_date"]
    per_quarter = received[received >= pd.Timestamp("2021-04-01")].dt.to_period("Q-MAR").value_counts().sort_index()
    assert len(per_quarter) == 12
    assert per_quarter.iloc[-4:].mean() > 1.3 * per_quarter.iloc[:4].mean()


def test_shapes_of_decisions_and_exceptions(raw_dir):
    latest = _latest_requests(raw_dir)
    decided = latest[latest["decision"] != ""]
    assert decided["decision"].eq("not_assess").mean() == pytest.approx(0.20, abs=0.05)
    assert 0.01 <= latest["exception_reason"].ne("").mean() <= 0.04
    assert latest["primary_need"].value_counts().index[:2].tolist() in (["ASD", "SEMH"], ["SEMH", "ASD"])
    ongoing = (latest["decision"] == "assess") & (latest["assessment_outcome"] == "")
    assert ongoing.sum() > 10


def test_twenty_week_timeliness_improves(raw_dir):
    latest = _latest_requests(raw_dir)
    plans = latest[latest["assessment_outcome"] == "plan_issued"]
    days = (plans["assessment_outcome_date"] - plans["request_received_date"]).dt.days
    issued_in = plans["assessment_outcome_date"].dt.to_period("Q-MAR").dt.qyear
    on_time = (days <= 140).groupby(issued_in).mean()
    assert 0.15 <= on_time[2022] <= 0.35  # financial year 2021-22
    assert 0.45 <= on_time[2024] <= 0.65  # financial year 2023-24


def test_statutory_boundaries_are_exercised(raw_dir):
    latest = _latest_requests(raw_dir)
    decision_days = (latest["decision_date"] - latest["request_received_date"]).dt.days
    plans = latest["assessment_outcome"] == "plan_issued"
    plan_days = (latest["assessment_outcome_date"] - latest["request_received_date"]).dt.days[plans]
    assert {42, 43} <= set(decision_days)
    assert {140, 141} <= set(plan_days)
    advice = pd.concat([frame for _, frame in _quarter_files(raw_dir, "advice_requests")])
    advice = advice.drop_duplicates("advice_request_id", keep="last")
    dates = _dates(advice, ADVICE_DATES)
    assert {42, 43} <= set((dates["advice_received_date"] - dates["advice_requested_date"]).dt.days.dropna())


def test_advice_lateness_differs_by_type_and_some_is_outstanding(raw_dir):
    files = _quarter_files(raw_dir, "advice_requests")
    advice = pd.concat([frame for _, frame in files]).drop_duplicates("advice_request_id", keep="last")
    dates = _dates(advice, ADVICE_DATES)
    returned = dates["advice_received_date"].notna()
    within = ((dates["advice_received_date"] - dates["advice_requested_date"]).dt.days <= 42)[returned]
    share = within.groupby(advice.loc[returned, "advice_type"]).mean()
    assert share["educational_psychology"] < share["social_care"] < share["health"] < share["education"]
    # Assessments decided inside the sample window have all their advice in the files: 3 to 5.
    latest = _latest_requests(raw_dir)
    window = latest["decision_date"].between(pd.Timestamp("2021-04-01"), pd.Timestamp("2024-03-20"))
    assessed = latest.loc[window & (latest["decision"] == "assess"), "request_id"]
    per_request = advice.groupby("request_id").size().reindex(assessed, fill_value=0)
    assert per_request.between(3, 5).all()
    _, last = files[-1]
    outstanding = last[last["advice_received_date"] == ""]
    overdue = pd.to_datetime(outstanding["advice_requested_date"]) < pd.Timestamp("2024-03-31") - pd.Timedelta(days=42)
    assert len(outstanding) > 0 and overdue.sum() > 0


# --- benchmarks in DfE's layouts ------------------------------------------------------------

LAYOUTS = [
    ("ehcp_synthetic/timeliness_20_week_synthetic.csv", "ehcp_2025/timeliness_20_week.csv"),
    ("ehcp_synthetic/requests_synthetic.csv", "ehcp_2025/requests.csv"),
    ("ehcp_synthetic/assessments_synthetic.csv", "ehcp_2025/assessments.csv"),
    ("ehcp_synthetic/annual_reviews_synthetic.csv", "ehcp_2025/annual_reviews.csv"),
    ("reference/sn_model_synthetic_wide.csv", "reference/sn_model_2025_wide.csv"),
    ("reference/las_synthetic.csv", "reference/las.csv"),
    ("reference/region_la_hierarchy_synthetic.csv", "reference/region_la_hierarchy.csv"),
]


@pytest.mark.real_data
@pytest.mark.parametrize("ours, theirs", LAYOUTS)
def test_headers_byte_order_marks_and_line_endings_match_the_real_dfe_files(benchmarks_dir, ours, theirs):
    _needs_real_data()
    ours_bytes, theirs_bytes = (benchmarks_dir / ours).read_bytes(), (DFE / theirs).read_bytes()
    assert ours_bytes.startswith(b"\xef\xbb\xbf") == theirs_bytes.startswith(b"\xef\xbb\xbf")
    # Up to the first LF: the header, byte for byte, with its CR when the file uses CRLF.
    assert ours_bytes.split(b"\n", 1)[0] == theirs_bytes.split(b"\n", 1)[0]
    assert (b"\r\n" in ours_bytes) == (b"\r\n" in theirs_bytes)


@pytest.mark.real_data
def test_fictional_codes_collide_with_no_real_authority(benchmarks_dir):
    _needs_real_data()
    real, ours = _read(DFE / "reference" / "las.csv"), _read(benchmarks_dir / "reference" / "las_synthetic.csv")
    assert not set(ours["old_la_code"]) & set(real["old_la_code"])
    assert not set(ours["new_la_code"]) & set(real["new_la_code"])


@pytest.mark.parametrize(
    "file, column",
    [
        ("timeliness_20_week_synthetic.csv", "plans_issued_den"),
        ("timeliness_20_week_synthetic.csv", "plans_issued_20_weeks_ex"),
        ("requests_synthetic.csv", "requests_received_in_year"),
        ("requests_synthetic.csv", "requests_withdrawn"),
        ("assessments_synthetic.csv", "assess_issued"),
        ("assessments_synthetic.csv", "assess_not_issued"),
        ("assessments_synthetic.csv", "outcome_decision_within_time"),
        ("assessments_synthetic.csv", "outcome_decision_over_time"),
        ("annual_reviews_synthetic.csv", "total_ehc_plans"),
        ("annual_reviews_synthetic.csv", "number_decsion_4weeks"),
        ("annual_reviews_synthetic.csv", "number_decision_gt_4weeks"),
    ],
)
def test_national_and_regional_rows_are_sums_of_the_authorities(benchmarks_dir, file, column):
    frame = _read(benchmarks_dir / "ehcp_synthetic" / file)
    value = pd.to_numeric(frame[column], errors="coerce")  # x and c contribute nothing
    la = frame["geographic_level"] == "Local authority"
    by_year = value[la].groupby(frame.loc[la, "time_period"]).sum()
    national = frame["geographic_level"] == "National"
    assert (value[national].to_numpy() == by_year.to_numpy()).all()
    by_region = value[la].groupby([frame.loc[la, "time_period"], frame.loc[la, "region_code"]]).sum()
    regional = frame[frame["geographic_level"] == "Regional"].set_index(["time_period", "region_code"])
    assert (pd.to_numeric(regional[column]) == by_region.reindex(regional.index)).all()


def test_percentages_follow_dfe_definitions(benchmarks_dir):
    frame = _read(benchmarks_dir / "ehcp_synthetic" / "requests_synthetic.csv")
    numeric = frame[frame["request_not_assess_pc"] != "x"]
    refused = numeric["requests_decided_not_to_assess"].astype(int)
    received = numeric["requests_received_in_year"].astype(int)
    assert (numeric["request_not_assess_pc"].astype(float) - refused / received * 100).abs().max() <= 0.05
    timeliness = _read(benchmarks_dir / "ehcp_synthetic" / "timeliness_20_week_synthetic.csv")
    la = timeliness[timeliness["geographic_level"] == "Local authority"]
    pc = pd.to_numeric(la["PC_plans_issued_20_weeks_ex"], errors="coerce").dropna()
    assert pc.min() < 20 and pc.max() > 85
    national = timeliness[timeliness["geographic_level"] == "National"]
    assert national["PC_plans_issued_20_weeks_ex"].astype(float).between(45, 65).all()


@pytest.mark.parametrize(
    "file, value, within, later",
    [
        (
            "assessments_synthetic.csv",
            "outcome_decision_within_time_pc",
            "outcome_decision_within_time",
            "outcome_decision_over_time",
        ),
        ("annual_reviews_synthetic.csv", "pc_decsion_4weeks", "number_decsion_4weeks", "number_decision_gt_4weeks"),
        ("annual_reviews_synthetic.csv", "pc_decision_gt_4weeks", "number_decision_gt_4weeks", "number_decsion_4weeks"),
    ],
)
def test_timeliness_percentages_are_recomputed_from_the_counts_on_every_row(benchmarks_dir, file, value, within, later):
    """National and regional percentages too: from the summed counts, one decimal, halves up."""
    frame = _read(benchmarks_dir / "ehcp_synthetic" / file)
    numeric = frame[frame[value] != "x"]
    assert len(numeric) >= len(frame) - 3  # only the unavailable row (or a zero denominator) is x
    share = numeric[within].astype(int) / (numeric[within].astype(int) + numeric[later].astype(int)) * 100
    expected = np.floor(share * 10 + 0.5 + 1e-9) / 10
    assert (numeric[value].astype(float) == expected).all()


def test_assessment_and_annual_review_files_are_headline_rows_with_consistent_counts(benchmarks_dir):
    assessments = _read(benchmarks_dir / "ehcp_synthetic" / "assessments_synthetic.csv")
    reviews = _read(benchmarks_dir / "ehcp_synthetic" / "annual_reviews_synthetic.csv")
    timeliness = _read(benchmarks_dir / "ehcp_synthetic" / "timeliness_20_week_synthetic.csv")
    assert (assessments[["breakdown_topic", "breakdown"]] == "All EHC needs assessments").all().all()
    assert (reviews[["breakdown_topic", "breakdown"]] == "All annual reviews").all().all()
    assert set(assessments["time_period"]) == {"2019", "2020", "2021", "2022", "2023"}
    assert set(reviews["time_period"]) == {"2023"}
    # The same geographies as the older files, year by year.
    keys = ["time_period", "geographic_level", "region_code", "old_la_code"]
    assert assessments[keys].equals(timeliness[keys])
    assert (
        reviews[keys]
        .reset_index(drop=True)
        .equals(timeliness.loc[timeliness["time_period"] == "2023", keys].reset_index(drop=True))
    )
    # Plans issued after assessment are the plans of the timeliness file.
    assert (assessments["assess_issued"] == timeliness["plans_issued_den"]).all()
    filled = assessments[assessments["assess_not_issued"] != "x"]
    decided = filled["outcome_decision_within_time"].astype(int) + filled["outcome_decision_over_time"].astype(int)
    assert (decided == filled["assess_not_issued"].astype(int)).all()
    unfilled = [c for c in assessments.columns[12:] if c not in ehc_benchmarks.ASSESSMENT_COUNT_COLUMNS]
    assert (assessments[[c for c in unfilled if c != "outcome_decision_within_time_pc"]] == "x").all().all()
    # Annual reviews nest as DfE's do.
    n = reviews.iloc[:, 12:].apply(pd.to_numeric, errors="coerce")
    assert (n["total_ehc_plans"] == n["review_expected"] + n["review_not_expected"]).all()
    assert (n["review_expected"] == n["total_review_meeting"] + n["no_review_meeting"]).all()
    made = n["number_decsion_4weeks"] + n["number_decision_gt_4weeks"]
    assert (made == n["outcome_amend"] + n["outcome_cease"] + n["outcome_maintan"]).all()
    assert (n["total_review_meeting"] == made + n["review_decision_not_due"] + n["review_decision_outstanding"]).all()
    assert (n["no_outcome"] == n["total_review_meeting"] - made).all()
    la = reviews["geographic_level"] == "Local authority"
    spread = n.loc[la, "pc_decsion_4weeks"]
    assert spread.min() < 20 and spread.max() > 70  # authorities differ widely, as in DfE's figures


def test_quirks_loaders_must_meet(benchmarks_dir):
    requests = _read(benchmarks_dir / "ehcp_synthetic" / "requests_synthetic.csv")
    timeliness = _read(benchmarks_dir / "ehcp_synthetic" / "timeliness_20_week_synthetic.csv")
    years = requests.groupby("old_la_code")["time_period"].apply(set)
    assert years[authorities.NEW_LA] == {"2021", "2022", "2023"}
    assert years[authorities.TERMINATED_LA] == {"2019", "2020"}
    unavailable = requests[(requests["old_la_code"] == "971") & (requests["time_period"] == "2022")]
    assert (unavailable["requests_received_in_year"] == "x").all()
    assert (requests["requests_withdrawn"] == "c").sum() >= 1
    # The split by time over 20 weeks exists from 2023 only, as DfE published it.
    assert (timeliness.loc[timeliness["time_period"] < "2023", "plans_issued_gt_1_year"] == "x").all()
    tied = requests[(requests["time_period"] == "2023") & requests["old_la_code"].isin(["969", "970"])]
    assert tied["request_not_assess_pc"].nunique() == 1


def test_home_neighbours_include_the_new_and_the_unavailable_authority(benchmarks_dir):
    sn = _read(benchmarks_dir / "reference" / "sn_model_synthetic_wide.csv")
    assert sn["old_la_code"].is_unique and authorities.TERMINATED_LA not in set(sn["old_la_code"])
    home = sn[sn["old_la_code"] == HOME_LA_OLD_CODE].iloc[0]
    neighbours = [home[f"SN_{n}"] for n in range(1, 11)]
    assert len(set(neighbours)) == 10 and HOME_LA_OLD_CODE not in neighbours
    assert {authorities.NEW_LA, "971"} <= set(neighbours)
    assert set(home[[f"SN_{n}P" for n in range(1, 11)]]) <= {"Very close", "Close ", "Somewhat close"}
    assert (home["region_name"], home["region_ind"]) == ("West Midlands", "8")


def test_home_counts_agree_with_the_extracts(raw_dir, benchmarks_dir):
    latest = _latest_requests(raw_dir)
    plans = latest[latest["assessment_outcome"] == "plan_issued"]
    days = (plans["assessment_outcome_date"] - plans["request_received_date"]).dt.days
    timeliness = _read(benchmarks_dir / "ehcp_synthetic" / "timeliness_20_week_synthetic.csv")
    home = timeliness[timeliness["old_la_code"] == HOME_LA_OLD_CODE].set_index("time_period")
    # 2021's published counts also hold plans issued in January-March 2021, before the first
    # extract: compare the years the extracts cover in full.
    for year in (2022, 2023):
        issued = plans["assessment_outcome_date"].dt.year == year
        not_excepted = plans["exception_reason"] == ""
        assert int(home.loc[str(year), "plans_issued_den"]) == issued.sum()
        assert int(home.loc[str(year), "plans_issued_within_20_weeks"]) == (issued & (days <= 140)).sum()
        assert int(home.loc[str(year), "plans_issued_20_weeks_ex"]) == (issued & (days <= 140) & not_excepted).sum()
    requests = _read(benchmarks_dir / "ehcp_synthetic" / "requests_synthetic.csv")
    home_requests = requests[requests["old_la_code"] == HOME_LA_OLD_CODE].set_index("time_period")
    received_2022 = (latest["request_received_date"].dt.year == 2022).sum()
    assert int(home_requests.loc["2022", "requests_received_in_year"]) == received_2022


def test_home_assessment_counts_agree_with_the_extracts(raw_dir, benchmarks_dir):
    """Decisions not to issue a plan, dated by the assessment outcome; within 16 weeks = by day 112."""
    latest = _latest_requests(raw_dir)
    ended_in = latest["assessment_outcome_date"].dt.year
    no_plan = latest["assessment_outcome"] == "plan_not_issued"
    days = (latest["assessment_outcome_date"] - latest["request_received_date"]).dt.days
    assessments = _read(benchmarks_dir / "ehcp_synthetic" / "assessments_synthetic.csv")
    home = assessments[assessments["old_la_code"] == HOME_LA_OLD_CODE].set_index("time_period")
    # The years the extracts cover in full (as for the plans above).
    for year in (2022, 2023):
        in_year = ended_in == year
        within, later = (in_year & no_plan & (days <= 112)).sum(), (in_year & no_plan & (days > 112)).sum()
        row = home.loc[str(year)]
        assert int(row["assess_issued"]) == (in_year & (latest["assessment_outcome"] == "plan_issued")).sum()
        assert int(row["assess_not_issued"]) == (in_year & no_plan).sum()
        assert (int(row["outcome_decision_within_time"]), int(row["outcome_decision_over_time"])) == (within, later)
        assert within > 0 and later > 0  # both sides of the 16-week line are exercised
        assert float(row["outcome_decision_within_time_pc"]) == pytest.approx(100 * within / (within + later), abs=0.05)


def test_reference_files_describe_the_boundary_change(benchmarks_dir):
    las = _read(benchmarks_dir / "reference" / "las_synthetic.csv").set_index("old_la_code")
    assert las.loc[authorities.TERMINATED_LA, "status"] == "terminated"
    assert las.loc[authorities.TERMINATED_LA, "date_of_termination"] == "31/03/2021"
    assert las.loc[authorities.NEW_LA, "date_of_operation"] == "01/04/2021"
    assert las.loc[HOME_LA_OLD_CODE, "new_la_code"] == HOME_LA_NEW_CODE
    assert las["la_name"].str.endswith(" (synthetic)").all()
    hierarchy = _read(benchmarks_dir / "reference" / "region_la_hierarchy_synthetic.csv")
    assert hierarchy["region_code"].nunique() == 9
    assert set(hierarchy["old_la_code"]) == set(las.index)


# --- the sample is outside the product ----------------------------------------------------------


def test_the_checksum_list_the_product_recognises_the_sample_by_is_what_the_generator_writes(raw_dir):
    """pipelines/ingest/bundled_sample_checksums.txt must follow the generator: when this fails,
    run `python -m synthetic_sample checksums` and commit the list."""
    from pipelines.ingest.files import file_sha256
    from pipelines.ingest.keys import BUNDLED_SAMPLE_CHECKSUMS

    written = {path.relative_to(raw_dir).as_posix(): file_sha256(path) for path in raw_dir.rglob("*") if path.is_file()}
    listed = {}
    for line in BUNDLED_SAMPLE_CHECKSUMS.read_text(encoding="utf-8").splitlines():
        checksum, path = line.split("  ", 1)
        listed[path] = checksum
    assert listed == written


def _imported_modules(path: Path) -> set[str]:
    import ast

    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_no_product_module_imports_the_sample_and_the_product_wheel_leaves_it_out():
    import tomllib

    from setuptools import find_packages

    product_files = [path for package in ("pipelines", "schemas") for path in (REPO / package).rglob("*.py")]
    importing_the_sample = [
        path.relative_to(REPO).as_posix()
        for path in product_files
        if any(module.split(".")[0] == "synthetic_sample" for module in _imported_modules(path))
    ]
    assert importing_the_sample == []
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = find_packages(where=REPO, include=pyproject["tool"]["setuptools"]["packages"]["find"]["include"])
    assert "pipelines" in shipped and "schemas" in shipped
    assert not [package for package in shipped if package.startswith(("synthetic_sample", "tests", "benchmarks"))]
    with pytest.raises(ModuleNotFoundError):
        __import__("pipelines.sample_data")


def test_the_sample_modules_import_each_other_without_a_circle():
    """Each module of the sample imports only modules listed before it here (a topological order)."""
    order = ["common", "authorities", "ehc_extracts", "dsg_returns", "indicator_extracts", "ehc_benchmarks"]
    order += ["indicator_benchmarks", "__init__", "__main__"]
    package = REPO / "synthetic_sample"
    assert sorted(order) == sorted(path.stem for path in package.glob("*.py"))
    for position, name in enumerate(order):
        imported = {
            module.split(".")[1] if module.count(".") else "__init__"
            for module in _imported_modules(package / f"{name}.py")
            if module.split(".")[0] == "synthetic_sample"
        }
        assert imported <= set(order[:position]), (
            f"synthetic_sample/{name}.py imports {imported - set(order[:position])}"
        )
