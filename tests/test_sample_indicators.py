"""The synthetic indicator sample (synthetic_sample/indicator_extracts.py): it loads cleanly through
the real loaders, is deterministic, looks like the real thing, and reproduces seed 004.

Seed 004's figures are counted here straight from the raw files with pandas."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.ingest.extracts import load_extract_folder
from pipelines.ingest.returns import NEET, SCHOOL_CENSUS, load_returns_folder
from pipelines.warehouse import ensure_raw_tables
from schemas import EXTRACTS
from synthetic_sample.common import SAMPLE_PERIODS, quarter_bounds
from synthetic_sample.indicator_extracts import write_sample_indicator_extracts

KEY = "test-key-for-the-sample-indicators"
QUARTERLY = ["annual_reviews", "exclusions", "children_missing_education"]
RETURNS = {"neet": NEET, "school_census": SCHOOL_CENSUS}


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, list[Path]]:
    raw = tmp_path_factory.mktemp("raw")
    return raw, write_sample_indicator_extracts(raw)


@pytest.fixture(scope="module")
def raw_dir(sample) -> Path:
    return sample[0]


def _read(path: Path) -> pd.DataFrame:
    """Every cell as text, empty cells as '' (as a loader sees the file)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _quarter_files(raw_dir: Path, extract: str) -> dict[str, pd.DataFrame]:
    return {
        re.search(r"\d{4}-\d{2}_Q\d", path.name)[0]: _read(path) for path in sorted((raw_dir / extract).glob("*.csv"))
    }


def _date(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.replace("", None), format="%Y-%m-%d")


def _all_exclusions(raw_dir: Path) -> pd.DataFrame:
    every = pd.concat(_quarter_files(raw_dir, "exclusions").values(), ignore_index=True)
    every = every.drop_duplicates("exclusion_id")
    return every.assign(start=_date(every["start_date"]))


def _academic_year(frame: pd.DataFrame, start_year: int) -> pd.DataFrame:
    first, last = pd.Timestamp(f"{start_year}-09-01"), pd.Timestamp(f"{start_year + 1}-08-31")
    return frame[(frame["start"] >= first) & (frame["start"] <= last)]


# --- files, names, determinism --------------------------------------------------------------------


def test_files_are_the_twelve_quarters_and_two_returns_all_named_synthetic(sample):
    raw, paths = sample
    assert len(paths) == 3 * 12 + 2
    assert all(path.exists() and "synthetic" in path.name for path in paths)
    for extract in QUARTERLY:
        assert list(_quarter_files(raw, extract)) == SAMPLE_PERIODS
        assert [p.name for p in sorted((raw / extract).iterdir())] == [
            f"{extract}_synthetic_{period}.csv" for period in SAMPLE_PERIODS
        ]
    assert [p.name for p in (raw / "school_census").iterdir()] == ["school_census_synthetic.csv"]
    assert [p.name for p in (raw / "neet").iterdir()] == ["neet_16_17_synthetic.csv"]


def test_columns_are_exactly_the_schemas(raw_dir):
    for extract in QUARTERLY:
        for frame in _quarter_files(raw_dir, extract).values():
            assert list(frame.columns) == EXTRACTS[extract].column_names
    for name, folder in RETURNS.items():
        [path] = (raw_dir / name).glob("*.csv")
        assert list(_read(path).columns) == folder.layouts[0].columns


def test_every_identifier_is_obviously_synthetic(raw_dir):
    for extract in QUARTERLY:
        for period, frame in _quarter_files(raw_dir, extract).items():
            for column in [c for c in frame.columns if c.endswith("_id")]:
                assert frame[column].str.fullmatch(r"SYN-[A-Z]+-\d{4,6}").all(), (extract, period, column)


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path):
    def snapshot(folder: Path, seed: int) -> dict[str, bytes]:
        return {str(p.relative_to(folder)): p.read_bytes() for p in write_sample_indicator_extracts(folder, seed)}

    first, again, other = snapshot(tmp_path / "a", 7), snapshot(tmp_path / "b", 7), snapshot(tmp_path / "c", 8)
    assert first == again
    assert first.keys() == other.keys()
    assert all(first[name] != other[name] for name in first)


def test_default_seed_is_2024(tmp_path, sample):
    raw, paths = sample
    again = write_sample_indicator_extracts(tmp_path)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in paths]


# --- the real loaders: nothing quarantined ----------------------------------------------------------


def test_the_sample_loads_with_no_quarantined_rows(tmp_path, raw_dir):
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_raw_tables(connection, list(EXTRACTS.values()))
    for extract in QUARTERLY:
        outcomes = load_extract_folder(connection, EXTRACTS[extract], raw_dir / extract, KEY)
        assert [o.status for o in outcomes] == ["loaded"] * 12, [o.message for o in outcomes]
        assert [o.source_period for o in outcomes] == SAMPLE_PERIODS
        for outcome in outcomes:
            assert outcome.rows_quarantined == 0, outcome.message
            assert outcome.rows_loaded == outcome.rows_in_file == len(_read(outcome.path)) > 0
    for name, folder in RETURNS.items():
        [outcome] = load_returns_folder(connection, folder, raw_dir / name)
        assert (outcome.layout, outcome.rows_quarantined) == (name, 0), outcome.message
        assert outcome.rows_loaded == outcome.rows_in_file == len(_read(outcome.path))
    assert connection.execute("select count(*) from raw.quarantine").fetchone()[0] == 0
    # identifiers are stored only as their keyed hashes
    stored = connection.execute("select plan_id, child_id from raw.annual_reviews limit 100").fetchall()
    assert all(re.fullmatch(r"[0-9a-f]{64}", value) for pair in stored for value in pair)
    connection.close()


# --- seed 004 -------------------------------------------------------------------------------------


def test_seed_004_permanent_exclusions_2022_23(raw_dir):
    year = _academic_year(_all_exclusions(raw_dir), 2022)
    permanent = year[year["exclusion_type"] == "permanent"]
    assert len(permanent) == 162
    assert permanent["school_phase"].value_counts().to_dict() == {
        "secondary": 128,
        "primary": 13,
        "middle": 11,
        "special": 10,
    }


def test_seed_004_children_missing_education_2023_24_q2(raw_dir):
    q2 = _quarter_files(raw_dir, "children_missing_education")["2023-24_Q2"]
    closed = q2["closure_date"] != ""
    assert closed.sum() == 224
    assert (~closed).sum() == 422
    # closed in the quarter, every one with a return to education (seed 004's wording)
    assert _date(q2.loc[closed, "closure_date"]).between(pd.Timestamp("2023-07-01"), pd.Timestamp("2023-09-30")).all()
    assert set(q2.loc[closed, "outcome"]) <= {"returned_to_school", "other_provision", "elective_home_education"}


# --- annual reviews -------------------------------------------------------------------------------


def _overdue(frame: pd.DataFrame, end: pd.Timestamp) -> int:
    return int(((frame["review_held_date"] == "") & (_date(frame["next_review_due_date"]) < end)).sum())


def test_annual_reviews_plans_grow_and_the_backlog_grows_then_shrinks(raw_dir):
    files = _quarter_files(raw_dir, "annual_reviews")
    plans = [len(frame) for frame in files.values()]
    assert 2_400 <= plans[0] <= 2_700 and 3_300 <= plans[-1] <= 3_600
    assert plans == sorted(plans)
    overdue = [_overdue(frame, quarter_bounds(period)[1]) for period, frame in files.items()]
    peak = overdue.index(max(overdue))
    assert 3 <= peak <= 8
    assert max(overdue) > 2.5 * overdue[0] and max(overdue) > 2.5 * overdue[-1]


def test_annual_reviews_some_early_most_on_time_a_sizeable_share_late(raw_dir):
    every = pd.concat(_quarter_files(raw_dir, "annual_reviews").values(), ignore_index=True)
    held = every[every["review_held_date"] != ""]
    days = (_date(held["review_held_date"]) - _date(held["next_review_due_date"])).dt.days
    assert 0.10 <= (days < -14).mean() <= 0.25  # early
    assert 0.55 <= (days <= 0).mean() <= 0.85  # on time (early included)
    assert (days > 0).mean() >= 0.15  # late
    # due dates: 12 months after the last review or the plan start, sometimes earlier
    anchor = _date(every["last_review_date"]).fillna(_date(every["plan_start_date"]))
    exactly_12 = _date(every["next_review_due_date"]) == anchor + pd.DateOffset(months=12)
    assert 0.80 <= exactly_12.mean() < 0.95
    assert (every["last_review_date"] == "").mean() > 0.15  # plans not yet reviewed


def test_the_overdue_boundary_is_exercised_in_every_quarter(raw_dir):
    """Reviews not held and due on the quarter's last day (not yet overdue) and the day before."""
    for period, frame in _quarter_files(raw_dir, "annual_reviews").items():
        end = quarter_bounds(period)[1]
        waiting = _date(frame.loc[frame["review_held_date"] == "", "next_review_due_date"])
        assert (waiting == end).any() and (waiting == end - pd.Timedelta(days=1)).any(), period


def test_a_review_held_in_a_quarter_is_the_last_review_in_the_next_file(raw_dir):
    files = _quarter_files(raw_dir, "annual_reviews")
    for earlier, later in zip(SAMPLE_PERIODS, SAMPLE_PERIODS[1:], strict=False):
        both = files[earlier].merge(files[later], on="plan_id", suffixes=("_then", "_next"))
        held = both[both["review_held_date_then"] != ""]
        assert len(held) > 400
        assert (held["last_review_date_next"] == held["review_held_date_then"]).all(), later
        due = _date(held["next_review_due_date_next"])
        assert (due > _date(held["review_held_date_then"])).all()
        assert (due <= _date(held["review_held_date_then"]) + pd.DateOffset(months=12)).all()
        # and a review not held carries over: same last review, same due date
        waiting = both[both["review_held_date_then"] == ""]
        assert (waiting["last_review_date_then"] == waiting["last_review_date_next"]).all()
        assert (waiting["next_review_due_date_then"] == waiting["next_review_due_date_next"]).all()
    # plans start and cease
    first, last = files[SAMPLE_PERIODS[0]], files[SAMPLE_PERIODS[-1]]
    assert (~first["plan_id"].isin(last["plan_id"])).sum() > 300
    assert (~last["plan_id"].isin(first["plan_id"])).sum() > 1_000


# --- exclusions -----------------------------------------------------------------------------------


def test_exclusions_follow_the_school_year(raw_dir):
    every = _all_exclusions(raw_dir)
    assert len(every) == sum(len(frame) for frame in _quarter_files(raw_dir, "exclusions").values())
    assert not (every["start"].dt.month == 8).any()
    assert (every["start"].dt.day_of_week < 5).all()
    late_july = (every["start"].dt.month == 7) & (every["start"].dt.day > 20)
    early_july = (every["start"].dt.month == 7) & (every["start"].dt.day <= 20)
    assert 0 < late_july.sum() < 0.1 * early_july.sum()
    for period, frame in _quarter_files(raw_dir, "exclusions").items():
        start, end = quarter_bounds(period)
        assert _date(frame["start_date"]).between(start, end).all(), period


def test_suspensions_per_year_repeats_and_pupils_across_files(raw_dir):
    every = _all_exclusions(raw_dir)
    for year in (2021, 2022):
        suspensions = _academic_year(every, year).query("exclusion_type == 'suspension'")
        assert 4_000 <= len(suspensions) <= 6_000
        per_pupil = suspensions["pupil_id"].value_counts()
        assert (per_pupil > 1).mean() > 0.3 and per_pupil.max() >= 5
        # a few pupils' SEN status changes during the year
        statuses = suspensions.groupby("pupil_id")["sen_status"].nunique()
        assert 10 <= (statuses > 1).sum() <= 0.1 * len(statuses)
    files = _quarter_files(raw_dir, "exclusions")
    quarters_per_pupil = (
        pd.concat([frame[["pupil_id"]].assign(period=period) for period, frame in files.items()])
        .drop_duplicates()
        .groupby("pupil_id")
        .size()
    )
    assert (quarters_per_pupil >= 3).sum() > 200
    # a pupil stays in one school and phase
    assert every.groupby("pupil_id")[["school_id", "school_phase"]].nunique().max().max() == 1


def test_sen_is_overrepresented_among_exclusions(raw_dir):
    every = _academic_year(_all_exclusions(raw_dir), 2022)
    census = _read(raw_dir / "school_census" / "school_census_synthetic.csv")
    census = census[census["academic_year"] == "2022/23"].assign(headcount=lambda f: f["headcount"].astype(int))
    pupils = census.groupby("sen_status")["headcount"].sum() / census["headcount"].sum()
    for kind in ("permanent", "suspension"):
        share = every[every["exclusion_type"] == kind]["sen_status"].value_counts(normalize=True)
        assert share["ehc_plan"] > 2 * pupils["ehc_plan"], kind
        assert share["sen_support"] > 2 * pupils["sen_support"], kind
    assert set(every["school_phase"]) == {"primary", "middle", "secondary", "special", "alternative_provision"}


# --- children missing education -------------------------------------------------------------------


def _latest_cases(raw_dir: Path) -> pd.DataFrame:
    files = _quarter_files(raw_dir, "children_missing_education")
    every = pd.concat([frame.assign(period=period) for period, frame in files.items()], ignore_index=True)
    return every.sort_values("period").drop_duplicates("case_id", keep="last")


def test_cme_referrals_peak_in_september_every_year(raw_dir):
    cases = _latest_cases(raw_dir)
    referred = _date(cases["referral_date"])
    referred = referred[referred >= pd.Timestamp("2021-04-01")]
    per_quarter = referred.dt.to_period("Q-MAR").value_counts().sort_index()
    assert len(per_quarter) == 12
    for year in range(3):
        quarters = per_quarter.iloc[4 * year : 4 * year + 4].tolist()
        assert quarters.index(max(quarters)) == 1, quarters  # Q2: July-September
        assert 1_500 <= sum(quarters) <= 2_000
    per_month = referred.dt.month.value_counts()
    assert per_month.idxmax() == 9


def test_cme_cases_stay_open_across_quarters_and_show_as_they_stood(raw_dir):
    files = _quarter_files(raw_dir, "children_missing_education")
    appearances = pd.concat([frame["case_id"] for frame in files.values()]).value_counts()
    assert (appearances >= 3).sum() > 50
    q1, q2 = files["2023-24_Q1"], files["2023-24_Q2"]
    both = q1.merge(q2, on="case_id", suffixes=("_q1", "_q2"))
    closed_later = both[(both["closure_date_q1"] == "") & (both["closure_date_q2"] != "")]
    assert len(closed_later) > 20 and (closed_later["outcome_q1"] == "").all()
    # children with more than one case
    cases = _latest_cases(raw_dir)
    assert cases["child_id"].nunique() < len(cases)


# --- school census and NEET -----------------------------------------------------------------------


def test_school_census_headcounts(raw_dir):
    census = _read(raw_dir / "school_census" / "school_census_synthetic.csv")
    census["headcount"] = census["headcount"].astype(int)
    assert len(census) == 4 * 5 * 3
    assert sorted(census["academic_year"].unique()) == ["2020/21", "2021/22", "2022/23", "2023/24"]
    totals = census.groupby("academic_year")["headcount"].sum()
    assert totals.between(82_000, 88_000).all()
    share = census.groupby(["academic_year", "sen_status"])["headcount"].sum() / totals
    assert share.xs("ehc_plan", level="sen_status").between(0.035, 0.05).all()
    assert share.xs("sen_support", level="sen_status").between(0.11, 0.15).all()
    middle = census[census["school_phase"] == "middle"].groupby("academic_year")["headcount"].sum()
    assert (middle > 5_000).all()


def test_neet_monthly_counts(raw_dir):
    neet = _read(raw_dir / "neet" / "neet_16_17_synthetic.csv")
    for column in ("cohort", "neet", "not_known"):
        neet[column] = neet[column].astype(int)
    assert len(neet) == 36 * 2 * 3
    assert neet["month"].iloc[0] == "2021-04" and neet["month"].iloc[-1] == "2024-03"
    per_age = neet.groupby(["month", "age"])["cohort"].sum()
    assert per_age.between(6_000, 7_000).all()
    monthly = neet.groupby("month")[["cohort", "neet", "not_known"]].sum()
    ehc = neet[neet["send_status"] == "ehc_plan"].groupby("month")[["cohort", "neet", "not_known"]].sum()
    assert (ehc["cohort"] / monthly["cohort"]).between(0.04, 0.06).all()
    neet_pct = monthly["neet"] / monthly["cohort"] * 100
    assert neet_pct.between(2.0, 6.0).all() and neet_pct[~monthly.index.str.endswith("-09")].between(3.0, 6.0).all()
    assert (ehc["neet"] / ehc["cohort"] > monthly["neet"] / monthly["cohort"]).all()
    not_known = monthly["not_known"] / monthly["cohort"]
    month = monthly.index.str[-2:]
    assert not_known[month == "09"].min() > 3 * not_known[month.isin(["12", "01", "02"])].max()
    assert not_known[month == "10"].min() > not_known[month.isin(["12", "01", "02"])].max()
    assert (neet["neet"] + neet["not_known"] <= neet["cohort"]).all()
