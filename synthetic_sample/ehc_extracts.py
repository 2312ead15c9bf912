"""The home authority's EHC needs assessment extracts: request and advice histories simulated
case by case, then cut into quarterly files (docs/extracts.md), each showing every case open
during the quarter as it stood at the quarter end. Boundary cases on purpose: decisions and
advice on day 42 and 43, final plans on day 140 and 141."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from schemas import ADVICE_REQUESTS, EHC_REQUESTS
from schemas.ehc_requests import ASSESSMENT_OUTCOMES as OUTCOMES
from schemas.ehc_requests import CLOSED_ON, DECISIONS, EXCEPTION_REASONS
from synthetic_sample.common import (
    ADVICE_DAYS,
    DECISION_DAYS,
    HISTORY_END,
    HISTORY_START,
    PLAN_DAYS,
    SAMPLE_PERIODS,
    SAMPLE_START,
    iso_dates,
    quarter_bounds,
    synthetic_ids,
    to_days,
    write_csv,
)

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


def _progress(dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """How far through the sample years a date is (0 before April 2021, 1 at March 2024):
    drives the improving timeliness the demo story needs."""
    span = (HISTORY_END - SAMPLE_START).days
    elapsed = pd.DatetimeIndex(dates) - SAMPLE_START
    return np.clip(np.asarray(elapsed.days, dtype=float) / span, 0.0, 1.0)


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
    return synthetic_ids("CHD-", numbers)


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

    decision_date = received + to_days(decision_days)
    outcome_date = (received + to_days(outcome_days)).where(assessed)
    # The exception is recorded some weeks into the assessment, never after it ends.
    exception_date = np.minimum(decision_date + to_days(rng.integers(7, 60, n)), outcome_date).where(exception)
    return pd.DataFrame(
        {
            "request_id": synthetic_ids("REQ-", np.arange(1, n + 1)),
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
    requested = chosen["decision_date"] + to_days(rng.integers(1, 8, n))
    on_time_share = on_time_start + (on_time_end - on_time_start) * _progress(requested)
    on_time = rng.random(n) < on_time_share
    late_mean = 35 if advice_type == "educational_psychology" else 20
    days = np.where(on_time, rng.integers(7, ADVICE_DAYS + 1, n), ADVICE_DAYS + rng.geometric(1 / late_mean, n))
    received = requested + to_days(days)
    # Advice is back before the assessment ends (a plan is not issued without it).
    latest = chosen["assessment_outcome_date"] - to_days(rng.integers(3, 15, n))
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
    advice.loc[picked, "advice_received_date"] = advice.loc[picked, "advice_requested_date"] + to_days(
        [ADVICE_DAYS, ADVICE_DAYS + 1]
    )
    advice.insert(0, "advice_request_id", synthetic_ids("ADV-", np.arange(1, len(advice) + 1)))
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
    """The day a request closes, by the product's own rule (schemas.ehc_requests.CLOSED_ON)."""
    columns = requests[["decision", "decision_date", "assessment_outcome_date"]]
    closed_on = duckdb.query_df(columns, "requests", f"select {CLOSED_ON} as closed_on from requests").df()
    return pd.Series(pd.to_datetime(closed_on["closed_on"]).to_numpy(), index=requests.index)


def _open_during(first: pd.Series, closed: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """docs/extracts.md: first date on or before the quarter end, not closed before it started."""
    return (first <= end) & ~(closed < start)


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
            "request_received_date": iso_dates(view["request_received_date"]),
            "decision_date": iso_dates(view["decision_date"].where(decided)),
            "decision": view["decision"].where(decided, ""),
            "assessment_outcome": view["assessment_outcome"].where(ended, ""),
            "assessment_outcome_date": iso_dates(view["assessment_outcome_date"].where(ended)),
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
            "advice_requested_date": iso_dates(view["advice_requested_date"]),
            "advice_received_date": iso_dates(view["advice_received_date"].where(returned)),
        },
        columns=ADVICE_COLUMNS,
    )


def write_ehc_extracts(raw_dir: Path, seed: int = 2024) -> list[Path]:
    """Write the 12 quarterly ehc_requests and advice_requests files under raw_dir."""
    raw_dir = Path(raw_dir)
    requests, advice = simulate_histories(seed)
    written = []
    for period in SAMPLE_PERIODS:
        start, end = quarter_bounds(period)
        written.append(
            write_csv(
                _requests_as_at(requests, start, end),
                raw_dir / "ehc_requests" / f"ehc_requests_synthetic_{period}.csv",
            )
        )
        written.append(
            write_csv(
                _advice_as_at(advice, start, end),
                raw_dir / "advice_requests" / f"advice_requests_synthetic_{period}.csv",
            )
        )
    return written
