"""A seeded, deterministic SYNTHETIC sample: local extracts and DfE-layout benchmarks.

Nothing here is real data. The home authority (Wyvern Vale, old code 990) and every other
authority are fictional; "England" and the regions in the benchmark files are sums over those
fictional authorities. The files copy only the *layout* of DfE's published files (column names,
order, suppression symbols, byte-order marks, line endings) so that the loaders meet what
analysts download, quirks included.

Two public writers:
* `write_sample_extracts(raw_dir)`: quarterly case-system extracts (docs/extracts.md), cut
  from simulated case histories, each showing every case open during the quarter as it stood
  at the quarter end; with the annual reviews, exclusions, children missing education,
  school census and NEET samples of pipelines/sample_indicators.py;
* `write_sample_benchmarks(benchmarks_dir)`: DfE-layout EHC plan timeliness, request and
  assessment files for 2019-2023, an annual reviews file for 2023, a statistical-neighbour
  model and LA reference files.
The same seed gives byte-identical files. The home authority's published counts for
2021-2023 (plans, requests, decisions not to issue a plan) are computed from the same case
histories the extracts are cut from, so the warehouse's own KPIs and the "published" ones agree.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from schemas import ADVICE_REQUESTS, DSG_MONITORING, EHC_REQUESTS
from schemas import DSG_BALANCES as DSG_BALANCES_CONTRACT

HOME_LA_OLD_CODE = "990"
HOME_LA_NEW_CODE = "E06009990"
HOME_LA_NAME = "Wyvern Vale (synthetic)"
# A comparator group of synthetic authorities (one named by its ONS code), as
# SENDKPI_COMPARATOR_GROUPS would set it: `sendkpi demo` uses it when no group is set.
SAMPLE_COMPARATOR_GROUPS = "sample_consortium=970,985,991,992,E06009980"

SAMPLE_PERIODS: list[str] = [
    f"{year}-{(year + 1) % 100:02d}_Q{quarter}" for year in (2021, 2022, 2023) for quarter in (1, 2, 3, 4)
]

# Histories start a year before the first quarter so that 2021-22_Q1 carries in open cases,
# and end at the last quarter's end: anything dated later is "the future" and never shown.
HISTORY_START = pd.Timestamp("2020-04-01")
SAMPLE_START = pd.Timestamp("2021-04-01")
HISTORY_END = pd.Timestamp("2024-03-31")

# Statutory timescales, in days from the request (day 0).
DECISION_DAYS = 42  # 6 weeks to decide whether to assess; also 6 weeks to return advice
PLAN_DAYS = 140  # 20 weeks to issue the final EHC plan
NO_PLAN_DAYS = 112  # 16 weeks to decide, after assessing, not to issue a plan

DECISIONS = ["assess", "not_assess", "withdrawn"]
OUTCOMES = ["plan_issued", "plan_not_issued", "withdrawn"]
EXCEPTION_REASONS = ["school_closure", "personal_circumstances", "absent_from_area", "missed_appointment"]
# DfE SEN2 primary need codes with a plausible mix (ASD and SEMH most common); "" = not recorded.
PRIMARY_NEED_WEIGHTS = {
    "ASD": 30,
    "SEMH": 22,
    "SLCN": 14,
    "MLD": 8,
    "SPLD": 5,
    "SLD": 4,
    "PD": 4,
    "OTH": 3,
    "PMLD": 1.5,
    "HI": 1.5,
    "VI": 1,
    "MSI": 0.5,
    "NSA": 3.5,
    "": 2,
}
# Ages 0-25, skewed to 4-15 like real request cohorts.
AGE_WEIGHTS = np.array(
    [0.5, 1, 3, 5, 7, 8, 8, 8, 7.5, 7, 7, 6.5, 6, 6, 6, 5.5, 3.5, 2.5, 1.5, 1, 0.7, 0.5, 0.4, 0.3, 0.2, 0.1]
)

# Advice types: (share of assessments asking for it, share returned within 6 weeks at the start
# and at the end of the sample). Educational psychology is the usual bottleneck.
ADVICE_TYPES = {
    "educational_psychology": (1.00, 0.40, 0.60),
    "health": (1.00, 0.70, 0.72),
    "social_care": (0.93, 0.58, 0.62),
    "education": (1.00, 0.84, 0.86),
    "other": (0.30, 0.75, 0.75),
}

# The files' headers come from the contracts (schemas/): one home for every column.
REQUEST_COLUMNS = EHC_REQUESTS.column_names
ADVICE_COLUMNS = ADVICE_REQUESTS.column_names


# ----------------------------------------------------------------------------------------------
# Periods
# ----------------------------------------------------------------------------------------------


def _quarter_bounds(period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of a financial quarter label such as 2021-22_Q4 (Jan-Mar 2022)."""
    start_year, quarter = int(period[:4]), int(period[-1])
    first = pd.Timestamp(year=start_year, month=4, day=1) + pd.DateOffset(months=3 * (quarter - 1))
    last = first + pd.DateOffset(months=3) - pd.Timedelta(days=1)
    return first, last


def _progress(dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """How far through the sample years a date is (0 before April 2021, 1 at March 2024):
    drives the improving timeliness the demo story needs."""
    span = (HISTORY_END - SAMPLE_START).days
    elapsed = pd.DatetimeIndex(dates) - SAMPLE_START
    return np.clip(np.asarray(elapsed.days, dtype=float) / span, 0.0, 1.0)


def _days(values: np.ndarray) -> pd.TimedeltaIndex:
    return pd.to_timedelta(np.asarray(values, dtype="int64"), unit="D")


def _ids(prefix: str, numbers: np.ndarray) -> np.ndarray:
    """Synthetic ids like REQ-000123."""
    return np.char.add(prefix, np.char.zfill(np.asarray(numbers).astype(str), 6))


# ----------------------------------------------------------------------------------------------
# Case histories of the home authority
# ----------------------------------------------------------------------------------------------


def _arrival_dates(rng: np.random.Generator) -> pd.DatetimeIndex:
    """Request received dates: ~90 a quarter in 2021-22 Q1 rising linearly to ~160 in
    2023-24 Q4 (extrapolated back over the lead-in year), few on weekends."""
    days = pd.date_range(HISTORY_START, HISTORY_END, freq="D")
    first_mid, last_mid = pd.Timestamp("2021-05-15"), pd.Timestamp("2024-02-14")
    per_quarter = 90 + 70 * (days - first_mid).days / (last_mid - first_mid).days
    weekday_weight = np.where(days.day_of_week < 5, 1.0, 0.15)
    # 13 weeks a quarter, 5.3 weighted days a week.
    expected = per_quarter / 13 / 5.3 * weekday_weight
    return days.repeat(rng.poisson(expected))


def _child_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random synthetic child ids; ~3% of requests are repeat requests for an earlier child."""
    numbers = rng.choice(np.arange(1, 1_000_000), size=n, replace=False)
    repeat = (rng.random(n) < 0.03) & (np.arange(n) > 0)
    earlier = (rng.random(n) * np.arange(n)).astype(int)
    numbers = np.where(repeat, numbers[earlier], numbers)
    return _ids("CHD-", numbers)


def _decisions(rng: np.random.Generator, progress: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decision code and days to decide: ~20% refused, ~2% withdrawn; the share decided within
    6 weeks improves from ~75% to ~90%."""
    n = len(progress)
    decision = rng.choice(DECISIONS, size=n, p=[0.78, 0.20, 0.02])
    on_time = rng.random(n) < 0.75 + 0.15 * progress
    days = np.where(on_time, rng.integers(14, DECISION_DAYS + 1, n), DECISION_DAYS + rng.geometric(1 / 18, n))
    return decision, days


def _outcomes(
    rng: np.random.Generator, progress: np.ndarray, decision_days: np.ndarray, exception: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Assessment outcome and days from request to outcome (for requests that were assessed).

    Plans within 20 weeks improve from roughly a quarter to over half; exception cases are
    mostly late (that is why the exception is recorded)."""
    n = len(progress)
    outcome = rng.choice(OUTCOMES, size=n, p=[0.90, 0.08, 0.02])
    on_time_share = np.where(exception, 0.10, 0.24 + 0.46 * progress)
    on_time = rng.random(n) < on_time_share
    plan_days = np.where(on_time, rng.integers(90, PLAN_DAYS + 1, n), PLAN_DAYS + rng.geometric(1 / 65, n))
    days = np.select(
        [outcome == "plan_issued", outcome == "plan_not_issued"],
        [plan_days, decision_days + rng.integers(30, 100, n)],
        decision_days + rng.integers(10, 200, n),
    )
    # Drafting a plan takes weeks after the decision to assess.
    return outcome, np.maximum(days, decision_days + 28)


def _first_where(mask: np.ndarray, count: int) -> np.ndarray:
    """Positions of the first `count` rows where mask holds (deterministic boundary picks)."""
    return np.flatnonzero(mask)[:count]


def _simulate_requests(rng: np.random.Generator) -> pd.DataFrame:
    """One row per request with its whole future: dates after HISTORY_END are kept here and
    blanked when quarterly files are cut (an extract cannot know the future)."""
    received = _arrival_dates(rng)
    n = len(received)
    progress = _progress(received)
    decision, decision_days = _decisions(rng, progress)
    # Boundary cases: decisions on exactly day 42 and day 43.
    boundary = _first_where(received >= pd.Timestamp("2022-09-01"), 2)
    decision_days[boundary] = [DECISION_DAYS, DECISION_DAYS + 1]

    assessed = decision == "assess"
    # ~2.6% of assessments have a lawful exception: ~2% of all requests.
    exception = assessed & (rng.random(n) < 0.026)
    outcome, outcome_days = _outcomes(rng, progress, decision_days, exception)
    # Boundary cases: final plans issued on exactly day 140 and day 141.
    eligible = (
        assessed
        & ~exception
        & (outcome == "plan_issued")
        & (decision_days <= 100)
        & (received >= pd.Timestamp("2022-06-01"))
    )
    outcome_days[_first_where(eligible, 2)] = [PLAN_DAYS, PLAN_DAYS + 1]

    decision_date = received + _days(decision_days)
    outcome_date = (received + _days(outcome_days)).where(assessed)
    # The exception is recorded some weeks into the assessment, never after it ends.
    exception_date = np.minimum(decision_date + _days(rng.integers(7, 60, n)), outcome_date).where(exception)
    return pd.DataFrame(
        {
            "request_id": _ids("REQ-", np.arange(1, n + 1)),
            "child_id": _child_ids(rng, n),
            "request_received_date": received,
            "decision_date": decision_date,
            "decision": decision,
            "assessment_outcome": np.where(assessed, outcome, None),
            "assessment_outcome_date": outcome_date,
            "exception_reason": np.where(exception, rng.choice(EXCEPTION_REASONS, n), None),
            "exception_date": exception_date,
            "age_at_request": rng.choice(26, size=n, p=AGE_WEIGHTS / AGE_WEIGHTS.sum()),
            "primary_need": rng.choice(
                list(PRIMARY_NEED_WEIGHTS),
                size=n,
                p=np.array(list(PRIMARY_NEED_WEIGHTS.values())) / sum(PRIMARY_NEED_WEIGHTS.values()),
            ),
        }
    )


def _advice_of_type(rng: np.random.Generator, assessed: pd.DataFrame, advice_type: str) -> pd.DataFrame:
    """Advice requests of one type for the assessments that ask for it."""
    share, on_time_start, on_time_end = ADVICE_TYPES[advice_type]
    chosen = assessed[rng.random(len(assessed)) < share]
    n = len(chosen)
    # Advice is requested a few days after the decision to assess.
    requested = chosen["decision_date"] + _days(rng.integers(1, 8, n))
    on_time_share = on_time_start + (on_time_end - on_time_start) * _progress(requested)
    on_time = rng.random(n) < on_time_share
    late_mean = 35 if advice_type == "educational_psychology" else 20
    days = np.where(on_time, rng.integers(7, DECISION_DAYS + 1, n), DECISION_DAYS + rng.geometric(1 / late_mean, n))
    received = requested + _days(days)
    # Advice is back before the assessment ends (a plan is not issued without it).
    latest = chosen["assessment_outcome_date"] - _days(rng.integers(3, 15, n))
    received = received.where(~(received > latest), latest)
    return pd.DataFrame(
        {
            "request_id": chosen["request_id"].to_numpy(),
            "advice_type": advice_type,
            "advice_requested_date": requested.to_numpy(),
            "advice_received_date": received.to_numpy(),
            "assessment_outcome_date": chosen["assessment_outcome_date"].to_numpy(),
        }
    )


def _simulate_advice(rng: np.random.Generator, requests: pd.DataFrame) -> pd.DataFrame:
    """3-5 statutory advice requests per assessment, with lateness differing by type."""
    assessed = requests[requests["decision"] == "assess"]
    advice = pd.concat([_advice_of_type(rng, assessed, kind) for kind in ADVICE_TYPES], ignore_index=True)
    advice = advice.sort_values(["advice_requested_date", "request_id", "advice_type"], ignore_index=True)
    # Boundary cases: education advice back on exactly day 42 and day 43 (rows where the
    # assessment runs long enough for that not to be clipped).
    room = (advice["assessment_outcome_date"] - advice["advice_requested_date"]).dt.days
    eligible = (
        (advice["advice_type"] == "education")
        & (room > 60)
        & (advice["advice_requested_date"] >= pd.Timestamp("2022-09-01"))
    ).to_numpy()
    picked = _first_where(eligible, 2)
    advice.loc[picked, "advice_received_date"] = advice.loc[picked, "advice_requested_date"] + _days(
        [DECISION_DAYS, DECISION_DAYS + 1]
    )
    advice.insert(0, "advice_request_id", _ids("ADV-", np.arange(1, len(advice) + 1)))
    return advice.drop(columns="assessment_outcome_date")


def simulate_histories(seed: int = 2024) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The home authority's request and advice histories (whole futures, unblanked).

    Its own random stream, so the benchmarks can recompute the same histories."""
    rng = np.random.default_rng([seed, 0])
    requests = _simulate_requests(rng)
    return requests, _simulate_advice(rng, requests)


# ----------------------------------------------------------------------------------------------
# Quarterly extracts cut from the histories
# ----------------------------------------------------------------------------------------------


def _request_closed_on(requests: pd.DataFrame) -> pd.Series:
    """A request closes when refused or withdrawn at decision, or when its assessment ends."""
    closed_at_decision = requests["decision_date"].where(requests["decision"].isin(["not_assess", "withdrawn"]))
    return requests["assessment_outcome_date"].fillna(closed_at_decision)


def _open_during(first: pd.Series, closed: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """docs/extracts.md: first date on or before the quarter end, not closed before it started."""
    return (first <= end) & ~(closed < start)


def _iso(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%Y-%m-%d").fillna("")


def _requests_as_at(requests: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The requests file for one quarter: each open case as it stood at the quarter end."""
    view = requests[_open_during(requests["request_received_date"], _request_closed_on(requests), start, end)]
    decided = view["decision_date"] <= end
    ended = view["assessment_outcome_date"] <= end
    excepted = view["exception_date"] <= end
    return pd.DataFrame(
        {
            "request_id": view["request_id"],
            "child_id": view["child_id"],
            "request_received_date": _iso(view["request_received_date"]),
            "decision_date": _iso(view["decision_date"].where(decided)),
            "decision": view["decision"].where(decided, ""),
            "assessment_outcome": view["assessment_outcome"].where(ended, ""),
            "assessment_outcome_date": _iso(view["assessment_outcome_date"].where(ended)),
            "exception_reason": view["exception_reason"].where(excepted, ""),
            "age_at_request": view["age_at_request"],
            "primary_need": view["primary_need"],
        },
        columns=REQUEST_COLUMNS,
    )


def _advice_as_at(advice: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The advice file for one quarter: advice open during it, as it stood at its end."""
    view = advice[_open_during(advice["advice_requested_date"], advice["advice_received_date"], start, end)]
    returned = view["advice_received_date"] <= end
    return pd.DataFrame(
        {
            "advice_request_id": view["advice_request_id"],
            "request_id": view["request_id"],
            "advice_type": view["advice_type"],
            "advice_requested_date": _iso(view["advice_requested_date"]),
            "advice_received_date": _iso(view["advice_received_date"].where(returned)),
        },
        columns=ADVICE_COLUMNS,
    )


def _write_csv(frame: pd.DataFrame, path: Path, *, bom: bool = False, crlf: bool = False) -> Path:
    """CSV with pandas' default (minimal) quoting and no index, like DfE's files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig" if bom else "utf-8", lineterminator="\r\n" if crlf else "\n")
    return path


def write_sample_extracts(raw_dir: Path, seed: int = 2024) -> list[Path]:
    """Write the 12 quarterly ehc_requests and advice_requests files under raw_dir, and the
    synthetic DSG returns under raw_dir/dsg (write_sample_dsg)."""
    raw_dir = Path(raw_dir)
    requests, advice = simulate_histories(seed)
    written = []
    for period in SAMPLE_PERIODS:
        start, end = _quarter_bounds(period)
        written.append(
            _write_csv(
                _requests_as_at(requests, start, end),
                raw_dir / "ehc_requests" / f"ehc_requests_synthetic_{period}.csv",
            )
        )
        written.append(
            _write_csv(
                _advice_as_at(advice, start, end),
                raw_dir / "advice_requests" / f"advice_requests_synthetic_{period}.csv",
            )
        )
    written.extend(write_sample_dsg(raw_dir / "dsg"))
    from pipelines.sample_indicators import write_sample_indicator_extracts  # it imports this module

    written.extend(write_sample_indicator_extracts(raw_dir, seed))
    return written


# ----------------------------------------------------------------------------------------------
# Dedicated Schools Grant returns (GBP thousands)
# ----------------------------------------------------------------------------------------------

# Seed 004's 2023-24 period 6 figures: high needs 74,692 budget vs 82,836 forecast; the other
# blocks on budget; total 244,025 vs 252,169. Earlier periods show the overspend emerging.
DSG_BUDGETS_2023_24 = {"schools": 129_735, "high_needs": 74_692, "early_years": 36_265, "central": 3_333}
DSG_HIGH_NEEDS_FORECAST_2023_24 = {1: 78_100, 2: 79_050, 3: 80_200, 4: 81_150, 5: 82_040, 6: 82_836}
# Deficit at 1 April 2023 (seed 004: 20.3m); total DSG allocation 2023-24 (the period-6 total
# budget) and 2024-25 (+4.3% on high needs, as DfE indicated, and +2% on the other blocks).
DSG_BALANCES = [
    ("2023-24", "20300", "244025"),
    ("2024-25", "", "250623"),
]


def write_sample_dsg(dsg_dir: Path) -> list[Path]:
    """Synthetic DSG monitoring for 2023-24 P1-P6 (P6 = seed 004) and the DSG balances."""
    written = []
    for period, high_needs_forecast in DSG_HIGH_NEEDS_FORECAST_2023_24.items():
        rows = [
            {
                "financial_year": "2023-24",
                "period": f"P{period}",
                "block": block,
                "budget_gbp_k": budget,
                "forecast_outturn_gbp_k": high_needs_forecast if block == "high_needs" else budget,
            }
            for block, budget in DSG_BUDGETS_2023_24.items()
        ]
        written.append(
            _write_csv(
                pd.DataFrame(rows, columns=DSG_MONITORING.column_names),
                dsg_dir / f"dsg_monitoring_synthetic_2023-24_P{period:02d}.csv",
            )
        )
    balances = pd.DataFrame(
        DSG_BALANCES,
        columns=DSG_BALANCES_CONTRACT.column_names,
    )
    written.append(_write_csv(balances, dsg_dir / "dsg_balances_synthetic.csv"))
    return written


# ----------------------------------------------------------------------------------------------
# Fictional authorities
# ----------------------------------------------------------------------------------------------

# The 9 real English regions (codes and names as DfE publishes them). region_ind is the
# statistical-neighbour file's region number (alphabetical order of the region names).
REGIONS = {
    "E12000001": ("North East", 4),
    "E12000002": ("North West", 5),
    "E12000003": ("Yorkshire and The Humber", 9),
    "E12000004": ("East Midlands", 1),
    "E12000005": ("West Midlands", 8),
    "E12000006": ("East of England", 2),
    "E12000007": ("London", 3),
    "E12000008": ("South East", 6),
    "E12000009": ("South West", 7),
}

# Old codes 950-999 and new codes E060099xx / E06990xxx are unused by real authorities.
TERMINATED_LA = "951"  # abolished 31 March 2021 ...
NEW_LA = "952"  # ... and replaced by this one from 1 April 2021, like real boundary changes
UNAVAILABLE_NEIGHBOUR = ("971", 2022)  # a home neighbour with no published values that year
TIED_PAIR = ("969", "970", 2023)  # the second reports exactly twice the first: equal percentages
CONFIDENTIAL_CELLS = [("955", 2021, "requests_withdrawn"), ("993", 2022, "requests_withdrawn")]

_LA_NAMES = {
    "E12000001": {"953": "Brackenfell", "954": "Saltmoor Bay", "955": "Ironwick"},
    "E12000002": {
        "956": "Mereholt",
        "957": "Fellbridge",
        "958": "Cotton Lees",
        "959": "Ravensgarth",
        "960": "Duneport",
    },
    "E12000003": {"961": "Wolderby", "962": "Stonedale Vale", "963": "Millthorpe Edge", "964": "Kestrel Wold"},
    "E12000004": {"965": "Trentholme", "966": "Lindenfield", "967": "Peakhallow", "968": "Fosseby"},
    "E12000005": {
        "951": "Old Mercian Shire",
        "952": "Mercian Forest",
        "969": "Brindlecote",
        "970": "Foxley Heath",
        "971": "Ashgrove Marches",
        "972": "Hollowford",
        "990": "Wyvern Vale",
    },
    "E12000006": {"974": "Fenmarsh", "975": "Broadwater Fen", "976": "Eastlea Downs", "977": "Cressing Heath"},
    "E12000007": {
        "978": "Riverside Wharf",
        "979": "North Ashby Green",
        "980": "Kingsgate Park",
        "981": "Hollow Lane",
        "982": "Thamesreach",
        "983": "St Aldric",
    },
    "E12000008": {
        "984": "Chalkdown",
        "985": "Wealdbridge",
        "986": "Downshire Vale",
        "987": "Harbourside Sound",
        "988": "Beechwood Forest",
    },
    "E12000009": {"989": "Moorcombe", "991": "Tamarleigh", "992": "Granite Point", "993": "Cider Vale"},
}

# The home authority's 10 statistical neighbours, closest first: includes the authority new in
# 2021 (no 2019-2020 rows) and the one with no values in 2022, so neighbour counts vary.
HOME_NEIGHBOURS = ["969", "952", "971", "970", "972", "965", "966", "967", "989", "991"]
HOME_NEIGHBOUR_BANDS = ["Very close"] * 4 + ["Close "] * 4 + ["Somewhat close"] * 2


def fictional_authorities() -> pd.DataFrame:
    """All fictional authorities with codes, region and years of operation."""
    rows = [(old, f"{name} (synthetic)", region) for region, names in _LA_NAMES.items() for old, name in names.items()]
    las = pd.DataFrame(rows, columns=["old_la_code", "la_name", "region_code"])
    terminated = las["old_la_code"] == TERMINATED_LA
    las["new_la_code"] = np.where(terminated, "E06990" + las["old_la_code"], "E06009" + las["old_la_code"])
    las["region_name"] = las["region_code"].map(lambda code: REGIONS[code][0])
    las["first_year"] = np.where(las["old_la_code"] == NEW_LA, 2021, 2009)
    las["last_year"] = np.where(terminated, 2020, 9999)
    return las.sort_values(["region_code", "old_la_code"], ignore_index=True)


# ----------------------------------------------------------------------------------------------
# Benchmark counts: LA x calendar year
# ----------------------------------------------------------------------------------------------

YEARS = [2019, 2020, 2021, 2022, 2023]
# England's shape: requests dipped in 2020 and then grew fast; timeliness fell in 2022.
VOLUME_INDEX = {2019: 1.00, 2020: 0.92, 2021: 1.13, 2022: 1.38, 2023: 1.66}
TIMELINESS_SHIFT = {2019: 0.05, 2020: 0.02, 2021: 0.04, 2022: -0.03, 2023: -0.02}
TIMELINESS_AND_REQUEST_COLUMNS = [
    "requests_received_in_year",
    "requests_decided_to_assess",
    "requests_decided_not_to_assess",
    "requests_decision_not_made",
    "requests_withdrawn",
    "request_outcome_six_weeks",
    "request_outcome_over_6_weeks",
    "plans_issued_den",
    "plans_issued_den_ex",
    "plans_issued_within_20_weeks",
    "plans_issued_20_weeks_ex",
    "plans_issued_gt20weeks_ltYear",
    "plans_issued_gt20weeks_ltYear_ex",
    "plans_issued_gt_1_year",
    "plans_issued_gt_1_year_ex",
]
# The assessments file: plans issued (the same count as plans_issued_den), decisions not to
# issue one, and whether those came within 16 weeks.
ASSESSMENT_COUNT_COLUMNS = [
    "assess_issued",
    "assess_not_issued",
    "outcome_decision_within_time",
    "outcome_decision_over_time",
]
# The annual reviews file (DfE's spellings): one year only, so blank in the others.
REVIEW_COUNT_COLUMNS = [
    "total_ehc_plans",
    "review_expected",
    "review_not_expected",
    "total_review_meeting",
    "no_review_meeting",
    "review_decision_not_due",
    "review_decision_outstanding",
    "outcome_amend",
    "outcome_cease",
    "outcome_maintan",
    "no_outcome",
    "number_decsion_4weeks",
    "number_decision_gt_4weeks",
]
REVIEW_YEAR = 2023
# Every count the benchmark frame carries: suppressed, tied and summed alike.
COUNT_COLUMNS = TIMELINESS_AND_REQUEST_COLUMNS + ASSESSMENT_COUNT_COLUMNS + REVIEW_COUNT_COLUMNS


def _la_years(las: pd.DataFrame) -> pd.DataFrame:
    """One row per authority and year it existed in (the new one from 2021, the old to 2020)."""
    grid = las.merge(pd.DataFrame({"time_period": YEARS}), how="cross")
    alive = (grid["time_period"] >= grid["first_year"]) & (grid["time_period"] <= grid["last_year"])
    return grid[alive].reset_index(drop=True)


def _la_parameters(rng: np.random.Generator, las: pd.DataFrame) -> pd.DataFrame:
    """Per-authority size and performance levels, with a wide spread between authorities."""
    n = len(las)
    return pd.DataFrame(
        {
            "old_la_code": las["old_la_code"],
            "size": rng.lognormal(np.log(520), 0.55, n),
            "refusal": rng.uniform(0.12, 0.35, n),
            "six_weeks": rng.beta(6, 1.6, n),
            "on_time": np.clip(rng.beta(2.4, 1.8, n), 0.12, 0.93),
            "exceptions": rng.uniform(0.02, 0.09, n),
            "plans_per_request": rng.uniform(0.45, 0.62, n),
        }
    )


def _later_parameters(rng: np.random.Generator, las: pd.DataFrame) -> pd.DataFrame:
    """Per-authority levels for the assessments and annual reviews files. Drawn from their own
    random stream so that adding these files left every number in the older ones unchanged."""
    n = len(las)
    return pd.DataFrame(
        {
            "old_la_code": las["old_la_code"],
            # Decisions not to issue a plan, per plan issued (England: about 6%).
            "no_plan": rng.uniform(0.02, 0.10, n),
            # Authorities range from none to all of those decisions within 16 weeks (England ~36%).
            "no_plan_on_time": rng.beta(1.3, 1.6, n),
            # EHC plans in place per request received in a year (England: about 4.5).
            "plans_in_place": rng.uniform(3.6, 5.4, n),
            "reviews_held": rng.beta(12, 2, n),
            "reviews_decided": rng.uniform(0.65, 0.90, n),
            # Review decisions within 4 weeks: from a few per cent to most (England ~44%).
            "review_on_time": rng.beta(1.2, 1.5, n),
        }
    )


def _request_counts(rng: np.random.Generator, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    received = rng.poisson(frame["size"] * frame["time_period"].map(VOLUME_INDEX))
    refused = rng.binomial(received, frame["refusal"])
    withdrawn = rng.binomial(received - refused, 0.015)
    undecided = rng.binomial(received - refused - withdrawn, 0.06)
    assessed = received - refused - withdrawn - undecided
    on_time = rng.binomial(assessed + refused, frame["six_weeks"])
    return {
        "requests_received_in_year": received,
        "requests_decided_to_assess": assessed,
        "requests_decided_not_to_assess": refused,
        "requests_decision_not_made": undecided,
        "requests_withdrawn": withdrawn,
        "request_outcome_six_weeks": on_time,
        "request_outcome_over_6_weeks": assessed + refused - on_time,
    }


def _plan_counts(rng: np.random.Generator, frame: pd.DataFrame, received: np.ndarray) -> dict[str, np.ndarray]:
    """Plans issued and their timeliness; 'ex' columns leave out exception cases."""
    n = len(frame)
    plans = rng.binomial(received, frame["plans_per_request"])
    exceptions = rng.binomial(plans, frame["exceptions"])
    level = frame["on_time"] + frame["time_period"].map(TIMELINESS_SHIFT) + rng.normal(0, 0.05, n)
    level = np.clip(level, 0.10, 0.95)
    within_ex = rng.binomial(plans - exceptions, level)
    within_exc = rng.binomial(exceptions, level / 2)
    over_year_ex = rng.binomial(plans - exceptions - within_ex, 0.1)
    over_year_exc = rng.binomial(exceptions - within_exc, 0.25)
    within, over_year = within_ex + within_exc, over_year_ex + over_year_exc
    return {
        "plans_issued_den": plans,
        "plans_issued_den_ex": plans - exceptions,
        "plans_issued_within_20_weeks": within,
        "plans_issued_20_weeks_ex": within_ex,
        "plans_issued_gt20weeks_ltYear": plans - within - over_year,
        "plans_issued_gt20weeks_ltYear_ex": plans - exceptions - within_ex - over_year_ex,
        "plans_issued_gt_1_year": over_year,
        "plans_issued_gt_1_year_ex": over_year_ex,
    }


def _assessment_counts(rng: np.random.Generator, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Plans issued and decisions not to issue one, split by the 16-week timescale."""
    plans = frame["plans_issued_den"].to_numpy()
    not_issued = rng.binomial(plans, frame["no_plan"])
    level = np.clip(frame["no_plan_on_time"] + rng.normal(0, 0.05, len(frame)), 0.0, 1.0)
    within = rng.binomial(not_issued, level)
    return {
        "assess_issued": plans,
        "assess_not_issued": not_issued,
        "outcome_decision_within_time": within,
        "outcome_decision_over_time": not_issued - within,
    }


def _review_counts(rng: np.random.Generator, frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Annual reviews of the plans in place, for REVIEW_YEAR only (blank in other years).

    The counts nest as DfE's do: plans = reviews expected + not expected (plans under a year
    old); expected = meetings held + none held; meetings = decisions made + not yet due +
    outstanding; decisions made = amend + cease + maintain = within 4 weeks + later."""
    rows = frame[frame["time_period"] == REVIEW_YEAR]
    plans = rng.poisson(rows["size"] * VOLUME_INDEX[REVIEW_YEAR] * rows["plans_in_place"])
    expected = rng.binomial(plans, 0.82)
    held = rng.binomial(expected, rows["reviews_held"])
    decided = rng.binomial(held, rows["reviews_decided"])
    not_due = rng.binomial(held - decided, 0.15)
    within = rng.binomial(decided, np.clip(rows["review_on_time"] + rng.normal(0, 0.04, len(rows)), 0.0, 1.0))
    amend = rng.binomial(decided, 0.62)
    cease = rng.binomial(decided - amend, 0.03)
    counts = pd.DataFrame(
        {
            "total_ehc_plans": plans,
            "review_expected": expected,
            "review_not_expected": plans - expected,
            "total_review_meeting": held,
            "no_review_meeting": expected - held,
            "review_decision_not_due": not_due,
            "review_decision_outstanding": held - decided - not_due,
            "outcome_amend": amend,
            "outcome_cease": cease,
            "outcome_maintan": decided - amend - cease,
            "no_outcome": held - decided,
            "number_decsion_4weeks": within,
            "number_decision_gt_4weeks": decided - within,
        },
        index=rows.index,
    ).reindex(frame.index)
    return {column: counts[column] for column in REVIEW_COUNT_COLUMNS}


def _home_counts(requests: pd.DataFrame, year: int) -> dict[str, int]:
    """The home authority's published counts for a calendar year, from its case histories.

    Requests received in the year, as they stood at DfE's January census after it; plans issued
    in the year (by issue date), timed from the request, exception cases left out of 'ex'."""
    census = pd.Timestamp(year=year + 1, month=1, day=20)
    received = requests[requests["request_received_date"].dt.year == year]
    decision = received["decision"].where(received["decision_date"] <= census)
    decided = decision.isin(["assess", "not_assess"])
    decision_days = (received["decision_date"] - received["request_received_date"]).dt.days
    plans = requests[
        (requests["assessment_outcome"] == "plan_issued") & (requests["assessment_outcome_date"].dt.year == year)
    ]
    plan_days = (plans["assessment_outcome_date"] - plans["request_received_date"]).dt.days
    ex = plans["exception_reason"].isna()
    counts = {
        "requests_received_in_year": len(received),
        "requests_decided_to_assess": (decision == "assess").sum(),
        "requests_decided_not_to_assess": (decision == "not_assess").sum(),
        "requests_decision_not_made": decision.isna().sum(),
        "requests_withdrawn": (decision == "withdrawn").sum(),
        "request_outcome_six_weeks": (decided & (decision_days <= DECISION_DAYS)).sum(),
        "request_outcome_over_6_weeks": (decided & (decision_days > DECISION_DAYS)).sum(),
        "plans_issued_den": len(plans),
        "plans_issued_den_ex": ex.sum(),
        "plans_issued_within_20_weeks": (plan_days <= PLAN_DAYS).sum(),
        "plans_issued_20_weeks_ex": (ex & (plan_days <= PLAN_DAYS)).sum(),
        "plans_issued_gt20weeks_ltYear": plan_days.between(PLAN_DAYS + 1, 365).sum(),
        "plans_issued_gt20weeks_ltYear_ex": (ex & plan_days.between(PLAN_DAYS + 1, 365)).sum(),
        "plans_issued_gt_1_year": (plan_days > 365).sum(),
        "plans_issued_gt_1_year_ex": (ex & (plan_days > 365)).sum(),
    }
    return {column: int(value) for column, value in counts.items()}


def _home_assessment_counts(requests: pd.DataFrame, year: int) -> dict[str, int]:
    """The home authority's assessments-file counts for a calendar year, from its histories:
    plans issued and decisions not to issue one, each dated by the assessment outcome; a
    decision not to issue is within 16 weeks when made by day 112 from the request."""
    ended = requests[requests["assessment_outcome_date"].dt.year == year]
    no_plan = ended[ended["assessment_outcome"] == "plan_not_issued"]
    no_plan_days = (no_plan["assessment_outcome_date"] - no_plan["request_received_date"]).dt.days
    counts = {
        "assess_issued": (ended["assessment_outcome"] == "plan_issued").sum(),
        "assess_not_issued": len(no_plan),
        "outcome_decision_within_time": (no_plan_days <= NO_PLAN_DAYS).sum(),
        "outcome_decision_over_time": (no_plan_days > NO_PLAN_DAYS).sum(),
    }
    return {column: int(value) for column, value in counts.items()}


def _la_counts(seed: int) -> pd.DataFrame:
    """Every authority's counts for every year it existed, before any suppression."""
    rng, later_rng = np.random.default_rng([seed, 1]), np.random.default_rng([seed, 3])
    las = fictional_authorities()
    requests = simulate_histories(seed)[0]
    parameters = _home_parameters(_la_parameters(rng, las), requests)
    parameters = parameters.merge(_later_parameters(later_rng, las), on="old_la_code")
    frame = _la_years(las).merge(parameters, on="old_la_code")
    frame = frame.assign(**_request_counts(rng, frame))
    frame = frame.assign(**_plan_counts(rng, frame, frame["requests_received_in_year"].to_numpy()))
    frame = frame.assign(**_assessment_counts(later_rng, frame))
    frame = frame.assign(**_review_counts(later_rng, frame))
    frame = _override_home(frame, requests)
    return _tie_pair(frame)


def _home_parameters(parameters: pd.DataFrame, requests: pd.DataFrame) -> pd.DataFrame:
    """Scale the home authority's generated 2019-2020 to its case histories: same size as
    its 2021 requests imply, and slow plans (the improvement story starts from a low base)."""
    received_2021 = (requests["request_received_date"].dt.year == 2021).sum()
    home = parameters["old_la_code"] == HOME_LA_OLD_CODE
    parameters.loc[home, ["size", "on_time", "plans_per_request"]] = [received_2021 / VOLUME_INDEX[2021], 0.30, 0.60]
    return parameters


def _override_home(frame: pd.DataFrame, requests: pd.DataFrame) -> pd.DataFrame:
    """2021-2023 for the home authority come from the very histories its extracts are cut from."""
    for year in (2021, 2022, 2023):
        row = (frame["old_la_code"] == HOME_LA_OLD_CODE) & (frame["time_period"] == year)
        for column, value in (_home_counts(requests, year) | _home_assessment_counts(requests, year)).items():
            frame.loc[row, column] = value
    return frame


def _tie_pair(frame: pd.DataFrame) -> pd.DataFrame:
    """Make two authorities tie on every percentage in one year (the second reports exactly
    twice the first's counts), so rank ties are exercised."""
    first, second, year = TIED_PAIR
    source = (frame["old_la_code"] == first) & (frame["time_period"] == year)
    target = (frame["old_la_code"] == second) & (frame["time_period"] == year)
    frame.loc[target, COUNT_COLUMNS] = frame.loc[source, COUNT_COLUMNS].to_numpy() * 2
    return frame


def _suppress(frame: pd.DataFrame) -> pd.DataFrame:
    """Blank (NaN) what is not published: a whole row 'x' for the unavailable neighbour, single
    'c' cells elsewhere. `symbol` says which symbol a blank prints as."""
    frame = frame.copy()
    frame[COUNT_COLUMNS] = frame[COUNT_COLUMNS].astype(float)
    frame["symbol"] = "c"
    la, year = UNAVAILABLE_NEIGHBOUR
    unavailable = (frame["old_la_code"] == la) & (frame["time_period"] == year)
    frame.loc[unavailable, COUNT_COLUMNS] = np.nan
    frame.loc[unavailable, "symbol"] = "x"
    for la, year, column in CONFIDENTIAL_CELLS:
        frame.loc[(frame["old_la_code"] == la) & (frame["time_period"] == year), column] = np.nan
    return frame


def _with_totals(la_rows: pd.DataFrame) -> pd.DataFrame:
    """Add regional and national rows: sums of the authorities' published counts (a blank
    contributes nothing), so synthetic England is exactly its fictional authorities."""
    la_rows = la_rows.assign(geographic_level="Local authority")
    regional = la_rows.groupby(["time_period", "region_code", "region_name"], as_index=False)[COUNT_COLUMNS].sum()
    national = la_rows.groupby("time_period", as_index=False)[COUNT_COLUMNS].sum()
    regional = regional.assign(geographic_level="Regional", symbol="x")
    national = national.assign(geographic_level="National", symbol="x")
    frame = pd.concat([national, regional, la_rows], ignore_index=True)
    frame["level_order"] = frame["geographic_level"].map({"National": 0, "Regional": 1, "Local authority": 2})
    frame = frame.sort_values(["time_period", "level_order", "region_code", "old_la_code"], ignore_index=True)
    return frame.fillna({c: "" for c in ["region_code", "region_name", "new_la_code", "old_la_code", "la_name"]})


def benchmark_counts(seed: int = 2024) -> pd.DataFrame:
    """National, regional and LA counts (as published: suppressed cells blank) for 2019-2023."""
    return _with_totals(_suppress(_la_counts(seed)))


# ----------------------------------------------------------------------------------------------
# Formatting in DfE's published layouts
# ----------------------------------------------------------------------------------------------

TIMELINESS_HEADER = [
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "new_la_code",
    "old_la_code",
    "la_name",
    "breakdown_topic",
    "breakdown",
    "plans_issued_den",
    "plans_issued_den_ex",
    "plans_issued_within_20_weeks",
    "plans_issued_20_weeks_ex",
    "pc_plans_issued_within_20_weeks",
    "PC_plans_issued_20_weeks_ex",
    "plans_issued_gt20weeks_ltYear",
    "plans_issued_gt20weeks_ltYear_ex",
    "pc_plans_issued_gt20weeks_ltYear",
    "PC_plans_issued_gt20weeks_ltYear_ex",
    "plans_issued_gt_1_year",
    "plans_issued_gt_1_year_ex",
    "pc_plans_issued_gt_1_year",
    "PC_plans_issued_gt_1_year_ex",
]
REQUESTS_HEADER = [
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "new_la_code",
    "old_la_code",
    "la_name",
    "breakdown_topic",
    "breakdown",
    "requests_received_in_year",
    "requests_rya",
    "requests_decided_to_assess",
    "requests_decided_not_to_assess",
    "requests_decision_not_made",
    "requests_withdrawn",
    "request_assess_pc",
    "request_not_assess_pc",
    "request_outstanding_pc",
    "request_withdrawn_pc",
    "request_outcome_six_weeks",
    "request_outcome_over_6_weeks",
    "request_outcome_six_weeks_pc",
    "request_outcome_over_6_weeks_pc",
    "mediation_related_request",
    "tribunal_related_request",
    "tribunal_after_mediation_request",
]
ASSESSMENTS_HEADER = [
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "new_la_code",
    "old_la_code",
    "la_name",
    "breakdown_topic",
    "breakdown",
    "assess_in_year",
    "assess_issued",
    "assess_issued_pc",
    "assess_not_issued",
    "assess_not_issued_pc",
    "assess_not_made",
    "assess_not_made_pc",
    "assess_withdrawn",
    "assess_withdrawn_pc",
    "outcome_decision_within_time",
    "outcome_decision_over_time",
    "outcome_decision_within_time_pc",
    "outcome_decision_over_time_pc",
    "number_assess_mediation",
    "number_assess_tribunal",
    "number_asssess_mediation_tribunal",
    "number_other_mediation",
    "number_other_tribunal",
    "number_other_mediation_tribunal",
]
# DfE's header, misspellings and all, including review_meeting_prior_24 printed twice.
ANNUAL_REVIEWS_HEADER = [
    "time_period",
    "time_identifier",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "new_la_code",
    "old_la_code",
    "la_name",
    "breakdown_topic",
    "breakdown",
    "total_ehc_plans",
    "review_expected",
    "review_not_expected",
    "review_meeting_25",
    "review_meeting_24",
    "review_meeting_prior_24",
    "review_meeting_prior_24",
    "total_review_meeting",
    "no_review_meeting",
    "review_decision25",
    "review_decision24",
    "review_decision_prior24",
    "review_decision_not_due",
    "review_decision_outstanding",
    "outcome_amend",
    "outcome_cease",
    "outcome_maintan",
    "no_outcome",
    "number_decsion_4weeks",
    "number_decision_gt_4weeks",
    "pc_decsion_4weeks",
    "pc_decision_gt_4weeks",
]
SN_HEADER = ["old_la_code", "la_name", "region_ind", "region_name"] + [
    column for n in range(1, 11) for column in (f"SN_{n}", f"SN_{n}P")
]
LAS_HEADER = [
    "new_la_code",
    "la_name",
    "date_of_operation",
    "date_of_termination",
    "parent_geography_code",
    "entity_code",
    "entity_description",
    "status",
    "old_la_code",
]
HIERARCHY_HEADER = ["region_code", "region_name", "old_la_code", "la_name", "new_la_code"]

TIMELINESS_BREAKDOWN = "All EHC plans issued"
REQUESTS_BREAKDOWN = "All requests for EHC needs assessments"
ASSESSMENTS_BREAKDOWN = "All EHC needs assessments"
REVIEWS_BREAKDOWN = "All annual reviews"
# DfE first published the over-20-weeks split for 2023; earlier years show `x` (unavailable).
FIRST_YEAR_WITH_SPLIT = 2023


def _count_text(values: pd.Series, symbol: pd.Series) -> pd.Series:
    """Whole numbers as text; a blank prints as its row's suppression symbol."""
    return values.map(lambda v: "" if pd.isna(v) else str(int(v))).mask(values.isna(), symbol)


def _pct_text(numerator: pd.Series, denominator: pd.Series, symbol: pd.Series) -> pd.Series:
    """A percentage to one decimal, rounded half up, with DfE's trailing '.0' dropped (59, 0.8);
    `x` over a zero denominator, the suppression symbol where an input is suppressed."""
    share = (numerator / denominator.where(denominator > 0) * 100).astype(float)
    rounded = np.floor(share * 10 + 0.5 + 1e-9) / 10
    text = rounded.map(lambda v: "" if pd.isna(v) else f"{v:.1f}".removesuffix(".0"))
    text = text.mask(denominator == 0, "x")
    return text.mask(numerator.isna() | denominator.isna(), symbol)


def _geography(counts: pd.DataFrame, breakdown: str) -> pd.DataFrame:
    """The identifying columns every DfE file starts with."""
    return pd.DataFrame(
        {
            "time_period": counts["time_period"].astype(int).astype(str),
            "time_identifier": "Calendar year",
            "geographic_level": counts["geographic_level"],
            "country_code": "E92000001",
            "country_name": "England",
            "region_code": counts["region_code"],
            "region_name": counts["region_name"],
            "new_la_code": counts["new_la_code"],
            "old_la_code": counts["old_la_code"],
            "la_name": counts["la_name"],
            "breakdown_topic": breakdown,
            "breakdown": breakdown,
        }
    )


def _timeliness_table(counts: pd.DataFrame) -> pd.DataFrame:
    out = _geography(counts, TIMELINESS_BREAKDOWN)
    sym = counts["symbol"]
    for column in TIMELINESS_HEADER:
        if column.startswith("plans_issued"):
            out[column] = _count_text(counts[column], sym)
    den, den_ex = counts["plans_issued_den"], counts["plans_issued_den_ex"]
    pairs = {
        "pc_plans_issued_within_20_weeks": ("plans_issued_within_20_weeks", den),
        "PC_plans_issued_20_weeks_ex": ("plans_issued_20_weeks_ex", den_ex),
        "pc_plans_issued_gt20weeks_ltYear": ("plans_issued_gt20weeks_ltYear", den),
        "PC_plans_issued_gt20weeks_ltYear_ex": ("plans_issued_gt20weeks_ltYear_ex", den_ex),
        "pc_plans_issued_gt_1_year": ("plans_issued_gt_1_year", den),
        "PC_plans_issued_gt_1_year_ex": ("plans_issued_gt_1_year_ex", den_ex),
    }
    for column, (numerator, denominator) in pairs.items():
        out[column] = _pct_text(counts[numerator], denominator, sym)
    split = [c for c in TIMELINESS_HEADER if "gt20weeks" in c or "gt_1_year" in c]
    out.loc[counts["time_period"] < FIRST_YEAR_WITH_SPLIT, split] = "x"
    return out[TIMELINESS_HEADER]


def _requests_table(counts: pd.DataFrame) -> pd.DataFrame:
    out = _geography(counts, REQUESTS_BREAKDOWN)
    sym = counts["symbol"]
    received = counts["requests_received_in_year"]
    decided = counts["request_outcome_six_weeks"] + counts["request_outcome_over_6_weeks"]
    for column in REQUESTS_HEADER[12:]:
        out[column] = _count_text(counts[column], sym) if column in COUNT_COLUMNS else "x"
    out["request_assess_pc"] = _pct_text(counts["requests_decided_to_assess"], received, sym)
    # DfE's refusal rate: refused over all requests received in the year.
    out["request_not_assess_pc"] = _pct_text(counts["requests_decided_not_to_assess"], received, sym)
    out["request_outcome_six_weeks_pc"] = _pct_text(counts["request_outcome_six_weeks"], decided, sym)
    return out[REQUESTS_HEADER]


def _assessments_table(counts: pd.DataFrame) -> pd.DataFrame:
    """Plans issued, decisions not to issue and their 16-week timeliness; every other column
    `x`, as DfE printed them for the years before its individual-level collection."""
    out = _geography(counts, ASSESSMENTS_BREAKDOWN)
    sym = counts["symbol"]
    for column in ASSESSMENTS_HEADER[12:]:
        out[column] = _count_text(counts[column], sym) if column in ASSESSMENT_COUNT_COLUMNS else "x"
    within = counts["outcome_decision_within_time"]
    # DfE's percentage is of decisions not to issue that were made (within + over 16 weeks).
    out["outcome_decision_within_time_pc"] = _pct_text(within, within + counts["outcome_decision_over_time"], sym)
    return out[ASSESSMENTS_HEADER]


def _annual_reviews_table(counts: pd.DataFrame) -> pd.DataFrame:
    """REVIEW_YEAR only (DfE's file holds one year). The columns named after the years of
    DfE's 2024 collection (meetings and decisions 'in 2025', 'in 2024', 'prior to 2024') are
    `x`: a 2023 sample year cannot fill them truthfully; every other count is filled."""
    counts = counts[counts["time_period"] == REVIEW_YEAR]
    out = _geography(counts, REVIEWS_BREAKDOWN)
    sym = counts["symbol"]
    for column in ANNUAL_REVIEWS_HEADER[12:]:
        out[column] = _count_text(counts[column], sym) if column in REVIEW_COUNT_COLUMNS else "x"
    within, later = counts["number_decsion_4weeks"], counts["number_decision_gt_4weeks"]
    out["pc_decsion_4weeks"] = _pct_text(within, within + later, sym)
    out["pc_decision_gt_4weeks"] = _pct_text(later, within + later, sym)
    return out[ANNUAL_REVIEWS_HEADER]


# ----------------------------------------------------------------------------------------------
# Reference files: statistical neighbours, LA codes, region hierarchy
# ----------------------------------------------------------------------------------------------

_BANDS = ["Extremely close", "Very close", "Close ", "Somewhat close", "Not close"]


def _neighbour_rows(rng: np.random.Generator, live: pd.DataFrame) -> list[list[str]]:
    """10 nearest authorities in a made-up 'similarity space' where regions cluster, with the
    closeness band growing with distance (as in DfE's model)."""
    region_index = live["region_code"].str[-1].astype(int).to_numpy()
    centres = np.column_stack([region_index % 3, region_index // 3]).astype(float)
    points = centres + rng.normal(0, 0.35, (len(live), 2))
    distance = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=2)
    np.fill_diagonal(distance, np.inf)
    nearest = np.argsort(distance, axis=1, kind="stable")[:, :10]
    nearest_distance = np.take_along_axis(distance, nearest, axis=1)
    cut = np.quantile(nearest_distance, [0.01, 0.55, 0.88, 0.97])
    bands = np.array(_BANDS)[np.searchsorted(cut, nearest_distance)]
    codes = live["old_la_code"].to_numpy()
    return [
        [value for pair in zip(codes[row], band, strict=False) for value in pair]
        for row, band in zip(nearest, bands, strict=False)
    ]


def _sn_table(seed: int) -> pd.DataFrame:
    """One row per live authority (like DfE's model, abolished ones are absent), by name."""
    rng = np.random.default_rng([seed, 2])
    las = fictional_authorities()
    live = las[las["last_year"] == 9999].reset_index(drop=True)
    neighbours = pd.DataFrame(_neighbour_rows(rng, live), columns=SN_HEADER[4:])
    home = (live["old_la_code"] == HOME_LA_OLD_CODE).to_numpy()
    neighbours.loc[home, SN_HEADER[4:]] = [
        v for pair in zip(HOME_NEIGHBOURS, HOME_NEIGHBOUR_BANDS, strict=False) for v in pair
    ]
    table = pd.concat(
        [
            live[["old_la_code", "la_name"]],
            live["region_code"].map(lambda code: str(REGIONS[code][1])).rename("region_ind"),
            live["region_name"],
            neighbours,
        ],
        axis=1,
    )
    return table.sort_values("la_name", ignore_index=True)[SN_HEADER]


def _las_table() -> pd.DataFrame:
    las = fictional_authorities()
    terminated = las["old_la_code"] == TERMINATED_LA
    table = pd.DataFrame(
        {
            "new_la_code": las["new_la_code"],
            "la_name": las["la_name"],
            "date_of_operation": np.where(las["old_la_code"] == NEW_LA, "01/04/2021", "01/01/2009"),
            "date_of_termination": np.where(terminated, "31/03/2021", ""),
            "parent_geography_code": las["region_code"],
            "entity_code": "E06",
            "entity_description": "Unitary Authorities",
            "status": np.where(terminated, "terminated", "live"),
            "old_la_code": las["old_la_code"],
        }
    )
    return table.sort_values("new_la_code", ignore_index=True)[LAS_HEADER]


def _hierarchy_table() -> pd.DataFrame:
    las = fictional_authorities()
    return las.sort_values(["region_code", "la_name"], ignore_index=True)[HIERARCHY_HEADER]


README = """# Synthetic benchmark sample: NOT real data

Every file in this folder is SYNTHETIC, generated by `pipelines/sample_data.py` from a fixed
seed. The local authorities are fictional (names end in "(synthetic)", old codes 950-999, new
codes E060099xx / E06990951, none used by a real authority); "England" and the regional rows
are sums over those fictional authorities' published counts (a suppressed `x` or `c` cell adds
nothing), with percentages recomputed from the sums: not real England or regional figures. Only the
layouts (column names and order, `x` / `c` symbols, byte-order marks, line endings) copy the
Department for Education's published files, so the loaders can be exercised on them.

- `ehcp_synthetic/timeliness_20_week_synthetic.csv`: EHC plans issued within 20 weeks, 2019-2023
  (the over-20-weeks split is `x` before 2023, as DfE published it).
- `ehcp_synthetic/requests_synthetic.csv`: requests for EHC needs assessments, 2019-2023.
- `ehcp_synthetic/assessments_synthetic.csv`: EHC needs assessments, 2019-2023: plans issued,
  decisions not to issue a plan and how many of those were made within 16 weeks (other columns `x`).
- `ehcp_synthetic/annual_reviews_synthetic.csv`: annual reviews of EHC plans, 2023 only (DfE's
  file holds one year); the columns named after DfE's collection years (`review_meeting_25`,
  `review_decision24`, ...) are `x`.
- `exclusions_synthetic/`: exclusions by geography per school phase and Total, academic years
  2019/20-2020/21 with DfE's older `school_type` column (AP schools "Pupil referral unit") and
  2021/22-2023/24 with `education_phase`; rates per 100 pupils on roll, 2 decimal places.
- `neet_synthetic/`: NEET and not known 16-17 (December-February averages) by age (16, 17, all)
  and SEN (Total, EHC plan, SEN support, no SEN): 2019/20 to 2022/23 dated as DfE dates them,
  by the calendar year the December-February window ends (2020 to 2023), under the 2025 release's names (avgcohort, NEETNKprop, ...), 2023/24 as academic year
  202324 under the 2026 release's names (with the annual change in the NEET-or-not-known %).
- `cme_synthetic/`: children missing education at census date, termly as DfE counts them (each
  year's Autumn term census), Total and by SEN provision, 2019/20-2021/22 in the 2024/25 layout
  (filter_group, filter, number, pc, rate) and 2022/23-2023/24 in the 2025/26 layout; and a
  separate file of children missing education at any time during the academic year
  (`cme_full_year`, Total rows, 2019/20-2023/24), another measure; counts rounded (authorities and regions to 10, England to 100) after adding up the
  unrounded counts, so England is not the sum of the rounded rows; rate per 100 aged 5-16 on
  Total rows only (`z` elsewhere).
- `reference/sn_model_synthetic_wide.csv`: 10 statistical neighbours per fictional authority.
- `reference/las_synthetic.csv`, `reference/region_la_hierarchy_synthetic.csv`: codes and regions.

Quirks on purpose: authority 952 was created on 1 April 2021 (replacing 951), so it has no
2019-2020 rows; authority 971 has no values (`x`) in 2022; a few cells are `c`; 969 and 970 tie
on every percentage in 2023. The home authority 990's 2021-2023 counts (plans, requests,
decisions not to issue a plan) are computed from the same synthetic case histories as the
sample extracts; its annual reviews, exclusions, NEET and CME figures are generated like every
other authority's, so they do not match its local sample extracts (its local figures sit beside
them in the marts as value_source `local`).
Exclusions, NEET and CME quirks: a permanent-exclusion rate that rounds to 0 prints `low`
(e.g. 953's primary rate in 2021/22); 955's AP permanent exclusions in 2022/23 are `c`; 971's
special-school and Total rows in 2022/23 are all `x` (a home neighbour without a headline
figure); 954's NEET and not-known figures for 17-year-olds
with an EHC plan in 2021/22 are `c`; 962's CME count with an EHC plan in 2020/21 is
`low`; 983's CME count with SEN status unknown in 2023/24 is `c`. Authorities' Total rows
include their suppressed cells; regional and national rows add up the published ones (CME:
the unrounded ones, then rounded).
"""


def write_sample_benchmarks(benchmarks_dir: Path, seed: int = 2024) -> list[Path]:
    """Write the DfE-layout synthetic benchmark and reference files, plus a README."""
    benchmarks_dir = Path(benchmarks_dir)
    counts = benchmark_counts(seed)
    ehcp, reference = benchmarks_dir / "ehcp_synthetic", benchmarks_dir / "reference"
    # Byte-order marks and line endings as in the real files: DfE's statistics files have a
    # BOM and CRLF, the SN model a BOM and LF, the code lists neither.
    written = [
        _write_csv(_timeliness_table(counts), ehcp / "timeliness_20_week_synthetic.csv", bom=True, crlf=True),
        _write_csv(_requests_table(counts), ehcp / "requests_synthetic.csv", bom=True, crlf=True),
        _write_csv(_assessments_table(counts), ehcp / "assessments_synthetic.csv", bom=True, crlf=True),
        _write_csv(_annual_reviews_table(counts), ehcp / "annual_reviews_synthetic.csv", bom=True, crlf=True),
        _write_csv(_sn_table(seed), reference / "sn_model_synthetic_wide.csv", bom=True),
        _write_csv(_las_table(), reference / "las_synthetic.csv"),
        _write_csv(_hierarchy_table(), reference / "region_la_hierarchy_synthetic.csv"),
    ]
    from pipelines.sample_benchmarks_indicators import write_indicator_benchmarks  # imports this module

    written.extend(write_indicator_benchmarks(benchmarks_dir, seed))
    readme = benchmarks_dir / "README.md"
    readme.write_text(README, encoding="utf-8")
    return written + [readme]
