"""SYNTHETIC sample files for the indicators beyond EHC assessments (nothing here is real).

`write_sample_indicator_extracts(raw_dir)` writes, for the fictional Wyvern Vale:
* quarterly case-level extracts (docs/extracts.md conventions, one file per quarter of
  SAMPLE_PERIODS, cut from simulated histories as they stood at each quarter end):
  `annual_reviews/` (EHC plans maintained at the quarter end and their annual reviews),
  `exclusions/` (permanent exclusions and suspensions starting in the quarter) and
  `children_missing_education/` (CME cases open at some time in the quarter);
* aggregate returns: `school_census/` (headcount per academic year, phase and SEN status,
  2020/21-2023/24) and `neet/` (monthly NEET 16-17 counts, April 2021 - March 2024).

Seed 004's figures are reproduced exactly: 162 permanent exclusions in academic year 2022/23
(13 primary, 11 middle, 128 secondary, 10 special) and, in 2023-24 Q2, 224 CME cases closed
and 422 open at the quarter end. Every id starts `SYN-`, every file name holds "synthetic".
The same seed gives byte-identical files (each part has its own random stream).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from schemas import ANNUAL_REVIEWS, CHILDREN_MISSING_EDUCATION, EXCLUSIONS, NEET, SCHOOL_CENSUS
from synthetic_sample.common import (
    HISTORY_END,
    HISTORY_START,
    SAMPLE_PERIODS,
    SAMPLE_START,
    iso_dates,
    quarter_bounds,
    synthetic_ids,
    to_days,
    write_csv,
)

# The files' headers come from the contracts (schemas/): one home for every column.
ANNUAL_REVIEW_COLUMNS = ANNUAL_REVIEWS.column_names
EXCLUSION_COLUMNS = EXCLUSIONS.column_names
CME_COLUMNS = CHILDREN_MISSING_EDUCATION.column_names
SCHOOL_CENSUS_COLUMNS = SCHOOL_CENSUS.column_names
NEET_COLUMNS = NEET.column_names

PHASES = ["primary", "middle", "secondary", "special", "alternative_provision"]
SEN_STATUSES = ["ehc_plan", "sen_support", "no_sen"]


def _choice(rng: np.random.Generator, weights: dict[str, float], size: int) -> np.ndarray:
    p = np.array(list(weights.values()), dtype=float)
    return rng.choice(np.array(list(weights)), size=size, p=p / p.sum())


def _daily_arrivals(
    rng: np.random.Generator, per_year: np.ndarray, weight: np.ndarray, days: pd.DatetimeIndex
) -> pd.DatetimeIndex:
    """Poisson arrivals per day: `per_year` (per day's rate, as a yearly figure) shaped by
    `weight` (mean 1 over a year)."""
    return days.repeat(rng.poisson(per_year / 365.25 * weight))


# ----------------------------------------------------------------------------------------------
# Annual reviews of EHC plans
# ----------------------------------------------------------------------------------------------

# The review backlog peaks around the end of 2022 and is worked down through 2023-24.
BACKLOG_PEAK = pd.Timestamp("2022-11-15")
BACKLOG_WIDTH_DAYS = 300


def _backlog(due: pd.DatetimeIndex) -> np.ndarray:
    """0..1: how stretched the review team was when a review fell due."""
    return np.exp(-(((due - BACKLOG_PEAK).days.to_numpy() / BACKLOG_WIDTH_DAYS) ** 2))


def _next_due(rng: np.random.Generator, anchor: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """12 months after the last review (or the plan start); sometimes earlier: a 6-monthly
    review (young children) or one brought forward before a phase transfer."""
    n = len(anchor)
    draw = rng.random(n)
    twelve = anchor + pd.DateOffset(months=12)
    six = anchor + pd.DateOffset(months=6)
    forward = twelve - to_days(rng.integers(7, 61, n))
    return pd.DatetimeIndex(np.where(draw < 0.05, six, np.where(draw < 0.12, forward, twelve)))


def _held(rng: np.random.Generator, due: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """When the review due then was held: some early, most on time, a share late (more and
    later while the backlog was at its worst)."""
    n = len(due)
    stretch = _backlog(due)
    late_share = 0.22 + 0.25 * stretch
    late_mean = 30 + 70 * stretch
    draw = rng.random(n)
    early = draw < 0.15
    late = draw >= 1 - late_share
    offset = np.where(
        early,
        -rng.integers(15, 46, n),
        np.where(late, rng.geometric(1 / late_mean), -rng.integers(0, 15, n)),
    )
    return due + to_days(offset)


def simulate_plans(rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """EHC plans (start, cease) and each plan's chain of reviews: (plans, due, held), the
    last two of shape (plans, reviews), every chain running past HISTORY_END."""
    # Plans already maintained when the history starts: started up to 10 years earlier.
    n_stock = 2_150
    stock_start = HISTORY_START - to_days(np.minimum(rng.exponential(3.0 * 365, n_stock), 3_650).astype(int) + 1)
    # New plans: ~560 a year in 2021 rising to ~720 a year by 2024, issued on weekdays.
    days = pd.date_range(HISTORY_START, HISTORY_END, freq="D")
    progress = np.clip((days - SAMPLE_START).days.to_numpy() / (HISTORY_END - SAMPLE_START).days, 0, 1)
    weekday = np.where(days.day_of_week < 5, 1.4, 0.0)
    new_start = _daily_arrivals(rng, 560 + 160 * progress, weekday, days)
    start = pd.DatetimeIndex(np.concatenate([stock_start.to_numpy(), new_start.to_numpy()])).sort_values()
    n = len(start)
    # Plans cease (the young person leaves, moves away, needs are met): ~9% a year.
    life = start.where(start >= HISTORY_START, HISTORY_START) + to_days(rng.exponential(365 / 0.09, n).astype(int) + 1)
    cease = life.where(life <= HISTORY_END)
    plans = pd.DataFrame(
        {
            "plan_id": synthetic_ids("SYN-EHCP-", np.arange(1, n + 1)),
            "child_id": synthetic_ids("SYN-CHD-", rng.choice(np.arange(100_000, 1_000_000), size=n, replace=False)),
            "plan_start_date": start,
            "cease_date": cease,
        }
    )
    dues, helds = [], []
    anchor = start
    while True:
        due = _next_due(rng, anchor)
        held = _held(rng, due)
        dues.append(due.to_numpy())
        helds.append(held.to_numpy())
        if (held > HISTORY_END).all() and (due > HISTORY_END).all():
            break
        anchor = held
    return plans, np.column_stack(dues), np.column_stack(helds)


def _annual_reviews_as_at(
    plans: pd.DataFrame, due: np.ndarray, held: np.ndarray, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Plans maintained at the quarter end; the last review held before the quarter, the
    review due next, and the date it was held if that was in the quarter."""
    alive = ((plans["plan_start_date"] <= end) & ~(plans["cease_date"] <= end)).to_numpy()
    view = plans[alive]
    due, held = due[alive], held[alive]
    rows = np.arange(len(view))
    reviews_before = (held < np.datetime64(start)).sum(axis=1)
    last = np.where(reviews_before > 0, held[rows, np.maximum(reviews_before - 1, 0)], np.datetime64("NaT"))
    next_due = due[rows, reviews_before]
    next_held = held[rows, reviews_before]
    next_held = np.where(next_held <= np.datetime64(end), next_held, np.datetime64("NaT"))
    return pd.DataFrame(
        {
            "plan_id": view["plan_id"].to_numpy(),
            "child_id": view["child_id"].to_numpy(),
            "plan_start_date": iso_dates(view["plan_start_date"]).to_numpy(),
            "last_review_date": iso_dates(pd.Series(last, dtype="datetime64[ns]")).to_numpy(),
            "next_review_due_date": iso_dates(pd.Series(next_due, dtype="datetime64[ns]")).to_numpy(),
            "review_held_date": iso_dates(pd.Series(next_held, dtype="datetime64[ns]")).to_numpy(),
        },
        columns=ANNUAL_REVIEW_COLUMNS,
    )


# ----------------------------------------------------------------------------------------------
# School days (exclusions happen when schools are open)
# ----------------------------------------------------------------------------------------------

# Christmas, February half term, Easter, May half term, October half term (typical dates).
SCHOOL_HOLIDAYS = [
    ("2020-10-26", "2020-10-30"),
    ("2020-12-21", "2021-01-01"),
    ("2021-02-15", "2021-02-19"),
    ("2021-03-29", "2021-04-09"),
    ("2021-05-31", "2021-06-04"),
    ("2021-10-25", "2021-10-29"),
    ("2021-12-20", "2021-12-31"),
    ("2022-02-21", "2022-02-25"),
    ("2022-04-08", "2022-04-22"),
    ("2022-05-30", "2022-06-03"),
    ("2022-10-24", "2022-10-28"),
    ("2022-12-19", "2022-12-30"),
    ("2023-02-13", "2023-02-17"),
    ("2023-04-03", "2023-04-14"),
    ("2023-05-29", "2023-06-02"),
    ("2023-10-23", "2023-10-27"),
    ("2023-12-20", "2024-01-02"),
    ("2024-02-12", "2024-02-16"),
    ("2024-03-29", "2024-04-12"),
]
LAST_FULL_TERM_DAY_OF_JULY = 20  # term ends around 20-23 July: few exclusions after


def school_day_weights(days: pd.DatetimeIndex) -> np.ndarray:
    """1 on a term-time weekday, 0 at weekends, in August and in the holidays, low in late July."""
    weight = np.where(days.day_of_week < 5, 1.0, 0.0)
    weight[days.month == 8] = 0.0
    weight[(days.month == 7) & (days.day > LAST_FULL_TERM_DAY_OF_JULY)] *= 0.1
    for first, last in SCHOOL_HOLIDAYS:
        weight[(days >= pd.Timestamp(first)) & (days <= pd.Timestamp(last))] = 0.0
    return weight


def _academic_year_days(start_year: int) -> tuple[pd.DatetimeIndex, np.ndarray]:
    days = pd.date_range(f"{start_year}-09-01", f"{start_year + 1}-08-31", freq="D")
    weight = school_day_weights(days)
    return days, weight / weight.sum()


# ----------------------------------------------------------------------------------------------
# Exclusions
# ----------------------------------------------------------------------------------------------

EXCLUSION_YEARS = [2020, 2021, 2022, 2023]  # academic years by start year (2020 = 2020/21)
# Seed 004: 162 permanent exclusions in 2022/23, 13 primary, 11 middle, 128 secondary, 10 special.
SEED_004_PERMANENT = {2022: {"primary": 13, "middle": 11, "secondary": 128, "special": 10, "alternative_provision": 0}}
PERMANENT_MEANS = {"primary": 12, "middle": 10, "secondary": 115, "special": 9, "alternative_provision": 2}
PERMANENT_YEAR_FACTOR = {2020: 0.8, 2021: 0.95, 2023: 0.9}
# Pupils suspended at least once in the year (partly lockdown-affected 2020/21), ~1.9 each.
SUSPENDED_PUPILS = {2020: 1_900, 2021: 2_300, 2022: 2_600, 2023: 2_800}
PUPIL_POOL = 9_000
# Suspended pupils by phase; within a phase, SEN is over-represented as in DfE's statistics.
POOL_PHASES = {"primary": 0.17, "middle": 0.08, "secondary": 0.67, "special": 0.06, "alternative_provision": 0.02}
POOL_SEN = {
    "primary": (0.12, 0.46, 0.42),
    "middle": (0.10, 0.40, 0.50),
    "secondary": (0.08, 0.34, 0.58),
    "special": (0.93, 0.07, 0.00),
    "alternative_provision": (0.25, 0.50, 0.25),
}
SCHOOLS = {
    "primary": (1001, 180),
    "middle": (3001, 24),
    "secondary": (4001, 36),
    "special": (7001, 11),
    "alternative_provision": (8001, 4),
}
SUSPENSION_REASONS = {
    "PD": 34,
    "VA": 15,
    "PA": 11,
    "VP": 8,
    "PP": 9,
    "BU": 2,
    "RA": 1.5,
    "AS": 1,
    "AD": 0.5,
    "SM": 1.5,
    "DA": 4,
    "DM": 3,
    "TH": 1.5,
    "MT": 2,
    "SO": 2,
    "OT": 4,
}
PERMANENT_REASONS = {
    "PD": 30,
    "PA": 18,
    "VA": 9,
    "PP": 8,
    "VP": 4,
    "DA": 10,
    "MT": 9,
    "SM": 3,
    "BU": 2,
    "RA": 1,
    "AS": 0.5,
    "AD": 0.5,
    "DM": 2,
    "TH": 1,
    "SO": 1,
    "OT": 1,
}
STATUS_CHANGE_SHARE = 0.04  # suspended pupils whose SEN status is raised during the year


def _pupil_pool(rng: np.random.Generator) -> pd.DataFrame:
    """Pupils who may be excluded, with their phase, school and SEN status (kept across years)."""
    phase = pd.Series(_choice(rng, POOL_PHASES, PUPIL_POOL))
    draw = rng.random(PUPIL_POOL)
    ehc, support = phase.map({p: s[0] for p, s in POOL_SEN.items()}), phase.map({p: s[1] for p, s in POOL_SEN.items()})
    sen = np.where(draw < ehc, "ehc_plan", np.where(draw < ehc + support, "sen_support", "no_sen"))
    first = phase.map({p: s[0] for p, s in SCHOOLS.items()}).to_numpy()
    count = phase.map({p: s[1] for p, s in SCHOOLS.items()}).to_numpy()
    # Some schools exclude far more than others: a skewed pick of the phase's schools.
    school = first + np.floor(count * rng.random(PUPIL_POOL) ** 1.8).astype(int)
    return pd.DataFrame(
        {
            "pupil_id": synthetic_ids(
                "SYN-PUP-", rng.choice(np.arange(100_000, 1_000_000), size=PUPIL_POOL, replace=False)
            ),
            "school_id": synthetic_ids("SYN-URN-", school, 4),
            "school_phase": phase.to_numpy(),
            "sen_status": sen,
        }
    )


def _raised(status: pd.Series) -> np.ndarray:
    return np.where(status == "no_sen", "sen_support", "ehc_plan")


def _exclusions_of_year(rng: np.random.Generator, pool: pd.DataFrame, year: int) -> pd.DataFrame:
    days, p = _academic_year_days(year)
    # Suspensions: pupils suspended this year, 1 or more times each.
    pupils = pool.iloc[np.sort(rng.choice(PUPIL_POOL, size=rng.poisson(SUSPENDED_PUPILS[year]), replace=False))]
    times = rng.geometric(0.52, len(pupils))
    suspensions = pupils.loc[pupils.index.repeat(times)].assign(
        exclusion_type="suspension",
        start_date=days[rng.choice(len(days), size=int(times.sum()), p=p)],
    )
    # A few pupils' SEN status is raised during the year: their later suspensions show it.
    suspensions = suspensions.sort_values(["pupil_id", "start_date"], ignore_index=True)
    changed = pupils["pupil_id"][rng.random(len(pupils)) < STATUS_CHANGE_SHARE]
    later = suspensions["pupil_id"].isin(changed) & (suspensions.groupby("pupil_id").cumcount() > 0)
    suspensions.loc[later, "sen_status"] = _raised(suspensions.loc[later, "sen_status"])
    # Permanent exclusions: most often of a pupil already suspended this year.
    wanted = SEED_004_PERMANENT.get(year) or {
        phase: rng.poisson(mean * PERMANENT_YEAR_FACTOR[year]) for phase, mean in PERMANENT_MEANS.items()
    }
    suspended = pool["pupil_id"].isin(pupils["pupil_id"]).to_numpy()
    chosen = []
    for phase, count in wanted.items():  # five phases, not rows
        candidates = np.flatnonzero(pool["school_phase"].to_numpy() == phase)
        weight = np.where(suspended[candidates], 20.0, 1.0)
        chosen.append(rng.choice(candidates, size=count, replace=False, p=weight / weight.sum()))
    permanent = pool.iloc[np.concatenate(chosen)].assign(
        exclusion_type="permanent",
        start_date=days[rng.choice(len(days), size=sum(wanted.values()), p=p)],
    )
    # A permanently excluded pupil is not suspended from that school afterwards.
    after = suspensions.merge(permanent[["pupil_id", "start_date"]], on="pupil_id", how="left", suffixes=("", "_perm"))
    suspensions = suspensions[~(after["start_date"] >= after["start_date_perm"]).to_numpy()]
    frame = pd.concat([suspensions, permanent], ignore_index=True)
    frame["reason"] = np.where(
        frame["exclusion_type"] == "permanent",
        _choice(rng, PERMANENT_REASONS, len(frame)),
        _choice(rng, SUSPENSION_REASONS, len(frame)),
    )
    return frame


def simulate_exclusions(rng: np.random.Generator) -> pd.DataFrame:
    """Every exclusion starting between SAMPLE_START and HISTORY_END, with its id."""
    pool = _pupil_pool(rng)
    frame = pd.concat([_exclusions_of_year(rng, pool, year) for year in EXCLUSION_YEARS], ignore_index=True)
    frame = frame[(frame["start_date"] >= SAMPLE_START) & (frame["start_date"] <= HISTORY_END)]
    frame = frame.sort_values(["start_date", "pupil_id", "exclusion_type"], ignore_index=True)
    frame.insert(0, "exclusion_id", synthetic_ids("SYN-EXC-", np.arange(1, len(frame) + 1)))
    return frame


def _exclusions_in(exclusions: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    view = exclusions[(exclusions["start_date"] >= start) & (exclusions["start_date"] <= end)]
    return view.assign(start_date=iso_dates(view["start_date"]))[EXCLUSION_COLUMNS]


# ----------------------------------------------------------------------------------------------
# Children missing education
# ----------------------------------------------------------------------------------------------

# Referrals per month relative to the average: September peaks (school mobility), August is quiet.
CME_MONTH_WEIGHTS = {
    1: 1.05,
    2: 0.95,
    3: 1.0,
    4: 0.8,
    5: 0.95,
    6: 1.0,
    7: 1.05,
    8: 0.5,
    9: 2.3,
    10: 1.2,
    11: 1.0,
    12: 0.7,
}
# Daily chance a case open that day is closed: lower from late July to the end of September,
# when schools are shut and then the September referrals take the officers' time.
CME_TERM_HAZARD = 1 / 18
CME_SUMMER_HAZARD = 1 / 130
CME_COMPLEX_SHARE = 0.10  # complex cases close at 0.3 times the usual pace
CME_COMPLEX_PACE = 0.3
# Referrals a year: ~1,500 in 2021-22 rising to ~1,800 in 2023-24.
CME_REFERRALS_PER_YEAR = (1_475, 350)
# Seed 004: 2023-24 Q2 (1 July - 30 September 2023): 224 cases closed, 422 open at its end.
SEED_004_QUARTER = (pd.Timestamp("2023-07-01"), pd.Timestamp("2023-09-30"))
SEED_004_CLOSED, SEED_004_OPEN = 224, 422
CME_OUTCOMES = {
    "returned_to_school": 55,
    "other_provision": 8,
    "elective_home_education": 10,
    "moved_out_of_area": 15,
    "left_england": 5,
    "other": 7,
}
CME_EDUCATION_OUTCOMES = {"returned_to_school": 80, "other_provision": 10, "elective_home_education": 10}
REFERRAL_REASONS = {
    "removed_from_roll": 40,
    "moved_address_unknown": 20,
    "not_registered": 20,
    "not_attending": 12,
    "other": 8,
}


def _closure_dates(rng: np.random.Generator, referral: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Closure by a daily hazard that changes with the calendar: invert the cumulative hazard."""
    days = pd.date_range(HISTORY_START, HISTORY_END + pd.Timedelta(days=3 * 365), freq="D")
    summer = ((days.month == 7) & (days.day > LAST_FULL_TERM_DAY_OF_JULY)) | days.month.isin([8, 9])
    cumulative = np.cumsum(np.where(summer, CME_SUMMER_HAZARD, CME_TERM_HAZARD))
    n = len(referral)
    pace = np.where(rng.random(n) < CME_COMPLEX_SHARE, CME_COMPLEX_PACE, 1.0)
    at_referral = cumulative[(referral - HISTORY_START).days.to_numpy()] - cumulative[0]
    # A case is never closed the day it is referred: at least one day of work.
    target = at_referral + rng.exponential(1.0, n) / pace
    position = np.minimum(np.searchsorted(cumulative - cumulative[0], target), len(days) - 1)
    closed = days[position]
    return pd.DatetimeIndex(np.maximum(closed, referral + pd.Timedelta(days=1)))


def _seed_004_adjust(rng: np.random.Generator, cases: pd.DataFrame) -> pd.DataFrame:
    """Add or remove a few 2023-24 Q2 referrals so the quarter shows seed 004's figures."""
    first, last = SEED_004_QUARTER
    referred_in = cases["referral_date"].between(first, last)
    closed_in = cases["closure_date"].between(first, last)
    open_at_end = (cases["referral_date"] <= last) & ~(cases["closure_date"] <= last)
    closed_gap = SEED_004_CLOSED - int(closed_in.sum())
    open_gap = SEED_004_OPEN - int(open_at_end.sum())
    drop = []
    if closed_gap < 0:
        drop.append(rng.choice(np.flatnonzero(referred_in & closed_in), size=-closed_gap, replace=False))
    if open_gap < 0:
        drop.append(rng.choice(np.flatnonzero(referred_in & open_at_end), size=-open_gap, replace=False))
    keep = np.ones(len(cases), dtype=bool)
    if drop:
        keep[np.concatenate(drop)] = False
    added = []
    if closed_gap > 0:  # referred in July or August, closed within the quarter
        referral = first + to_days(rng.integers(0, 62, closed_gap))
        closure = referral + to_days(rng.integers(5, 30, closed_gap))
        added.append(pd.DataFrame({"referral_date": referral, "closure_date": closure}))
    if open_gap > 0:  # referred in September, still open at the end of it
        referral = pd.Timestamp("2023-09-01") + to_days(rng.integers(0, 30, open_gap))
        closure = last + to_days(rng.integers(10, 120, open_gap))
        added.append(pd.DataFrame({"referral_date": referral, "closure_date": closure}))
    return pd.concat([cases[keep], *added], ignore_index=True)


def simulate_cme(rng: np.random.Generator) -> pd.DataFrame:
    """CME cases referred from HISTORY_START, closures possibly after HISTORY_END (unknown yet)."""
    days = pd.date_range(HISTORY_START, HISTORY_END, freq="D")
    progress = np.clip((days - SAMPLE_START).days.to_numpy() / (HISTORY_END - SAMPLE_START).days, 0, 1)
    month = pd.Series(days.month).map(CME_MONTH_WEIGHTS).to_numpy() / np.mean(list(CME_MONTH_WEIGHTS.values()))
    weekday = np.where(days.day_of_week < 5, 1.3, 0.25)
    base, growth = CME_REFERRALS_PER_YEAR
    referral = _daily_arrivals(rng, base + growth * progress, month * weekday, days)
    cases = pd.DataFrame({"referral_date": referral, "closure_date": _closure_dates(rng, referral)})
    cases = _seed_004_adjust(rng, cases).sort_values(["referral_date", "closure_date"], ignore_index=True)
    n = len(cases)
    # ~6% are a child's second episode: the id of a child whose earlier case was closed by then.
    child = rng.choice(np.arange(100_000, 1_000_000), size=n, replace=False)
    earlier = (rng.random(n) * np.arange(n)).astype(int)
    repeat = (rng.random(n) < 0.06) & (np.arange(n) > 0)
    repeat &= cases["closure_date"].to_numpy()[earlier] < cases["referral_date"].to_numpy()
    child = np.where(repeat, child[earlier], child)
    first, last = SEED_004_QUARTER
    seed_quarter = cases["closure_date"].between(first, last).to_numpy()
    outcome = np.where(seed_quarter, _choice(rng, CME_EDUCATION_OUTCOMES, n), _choice(rng, CME_OUTCOMES, n))
    return cases.assign(
        case_id=synthetic_ids("SYN-CME-", np.arange(1, n + 1)),
        child_id=synthetic_ids("SYN-CHD-", child),
        referral_reason=_choice(rng, REFERRAL_REASONS, n),
        outcome=outcome,
    )


def _cme_as_at(cases: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Cases open at some time in the quarter, as they stood at its end."""
    view = cases[(cases["referral_date"] <= end) & ~(cases["closure_date"] < start)]
    closed = view["closure_date"] <= end
    return pd.DataFrame(
        {
            "case_id": view["case_id"],
            "child_id": view["child_id"],
            "referral_date": iso_dates(view["referral_date"]),
            "referral_reason": view["referral_reason"],
            "closure_date": iso_dates(view["closure_date"].where(closed)),
            "outcome": view["outcome"].where(closed, ""),
        },
        columns=CME_COLUMNS,
    )


# ----------------------------------------------------------------------------------------------
# School census headcounts and NEET counts (aggregate returns)
# ----------------------------------------------------------------------------------------------

CENSUS_YEARS = [2020, 2021, 2022, 2023]
CENSUS_PUPILS = 85_000
CENSUS_PHASES = {
    "primary": 0.515,
    "middle": 0.095,
    "secondary": 0.368,
    "special": 0.019,
    "alternative_provision": 0.003,
}
# Share of each phase's pupils with an EHC plan and on SEN support; EHC plans grow every year.
CENSUS_SEN = {
    "primary": (0.022, 0.135),
    "middle": (0.025, 0.145),
    "secondary": (0.021, 0.125),
    "special": (0.97, 0.03),
    "alternative_provision": (0.22, 0.50),
}
EHC_GROWTH_PER_YEAR = 0.07


def school_census(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for index, year in enumerate(CENSUS_YEARS):
        total = CENSUS_PUPILS * (0.99 + 0.006 * index)
        for phase, share in CENSUS_PHASES.items():
            pupils = total * share
            ehc, support = CENSUS_SEN[phase]
            ehc = min(ehc * (1 + EHC_GROWTH_PER_YEAR) ** index, 0.985)
            support = min(support, 1 - ehc)
            for sen, part in zip(SEN_STATUSES, (ehc, support, 1 - ehc - support), strict=True):
                rows.append((f"{year}/{(year + 1) % 100:02d}", phase, sen, pupils * part))
    frame = pd.DataFrame(rows, columns=SCHOOL_CENSUS_COLUMNS)
    noise = rng.normal(1.0, 0.01, len(frame))
    frame["headcount"] = np.round(frame["headcount"] * noise).astype(int)
    return frame


NEET_MONTHS = pd.period_range("2021-04", "2024-03", freq="M")
NEET_COHORT_PER_AGE = 6_500
NEET_SEND = {"ehc_plan": 0.05, "sen_support": 0.10, "no_send": 0.85}
# NEET share by SEND status (age 16; age 17 higher), rising a little each academic year.
NEET_SHARE = {"ehc_plan": 0.090, "sen_support": 0.055, "no_send": 0.027}
NEET_AGE_FACTOR = {"16": 0.8, "17": 1.25}
NEET_YEAR_FACTOR = {2020: 0.95, 2021: 1.0, 2022: 1.12, 2023: 1.2}
# Activity not known: high in September and October as young people change provision, low
# in December-February (the months DfE's headline averages).
NOT_KNOWN_SHARE = {
    9: 0.24,
    10: 0.11,
    11: 0.05,
    12: 0.022,
    1: 0.018,
    2: 0.017,
    3: 0.02,
    4: 0.022,
    5: 0.025,
    6: 0.03,
    7: 0.035,
    8: 0.045,
}


def neet_counts(rng: np.random.Generator) -> pd.DataFrame:
    grid = pd.MultiIndex.from_product(
        [NEET_MONTHS.astype(str), ["16", "17"], list(NEET_SEND)], names=["month", "age", "send_status"]
    ).to_frame(index=False)
    month = pd.PeriodIndex(grid["month"], freq="M")
    academic_year = np.where(month.month >= 9, month.year, month.year - 1)
    # The cohort changes each September (a new year group) and drifts a little month to month.
    year_size = {year: NEET_COHORT_PER_AGE * (0.98 + 0.015 * (year - 2020)) for year in NEET_YEAR_FACTOR}
    send_share = grid["send_status"].map(NEET_SEND).to_numpy() * np.where(
        grid["send_status"] == "ehc_plan", 1 + 0.05 * (academic_year - 2021), 1.0
    )
    expected = pd.Series(academic_year).map(year_size).to_numpy() * send_share
    cohort = np.round(expected * rng.normal(1.0, 0.006, len(grid))).astype(int)
    neet_share = (
        grid["send_status"].map(NEET_SHARE).to_numpy()
        * grid["age"].map(NEET_AGE_FACTOR).to_numpy()
        * pd.Series(academic_year).map(NEET_YEAR_FACTOR).to_numpy()
        * np.where(month.month == 9, 0.7, 1.0)  # September: many are not known yet instead
    )
    not_known_share = pd.Series(month.month).map(NOT_KNOWN_SHARE).to_numpy() * np.where(grid["age"] == "17", 1.2, 1.0)
    neet = rng.binomial(cohort, neet_share)
    not_known = rng.binomial(cohort - neet, not_known_share)
    return grid.assign(cohort=cohort, neet=neet, not_known=not_known)[NEET_COLUMNS]


# ----------------------------------------------------------------------------------------------
# Writing the files
# ----------------------------------------------------------------------------------------------


def write_sample_indicator_extracts(raw_dir: Path, seed: int = 2024) -> list[Path]:
    """Write the synthetic annual reviews, exclusions and CME quarterly extracts and the school
    census and NEET returns under raw_dir; return the paths written."""
    raw_dir = Path(raw_dir)
    plans, due, held = simulate_plans(np.random.default_rng([seed, 10]))
    exclusions = simulate_exclusions(np.random.default_rng([seed, 11]))
    cases = simulate_cme(np.random.default_rng([seed, 12]))
    written = []
    for period in SAMPLE_PERIODS:
        start, end = quarter_bounds(period)
        written.append(
            write_csv(
                _annual_reviews_as_at(plans, due, held, start, end),
                raw_dir / "annual_reviews" / f"annual_reviews_synthetic_{period}.csv",
            )
        )
        written.append(
            write_csv(
                _exclusions_in(exclusions, start, end),
                raw_dir / "exclusions" / f"exclusions_synthetic_{period}.csv",
            )
        )
        written.append(
            write_csv(
                _cme_as_at(cases, start, end),
                raw_dir / "children_missing_education" / f"children_missing_education_synthetic_{period}.csv",
            )
        )
    written.append(
        write_csv(
            school_census(np.random.default_rng([seed, 13])),
            raw_dir / "school_census" / "school_census_synthetic.csv",
        )
    )
    written.append(
        write_csv(
            neet_counts(np.random.default_rng([seed, 14])),
            raw_dir / "neet" / "neet_16_17_synthetic.csv",
        )
    )
    return written
