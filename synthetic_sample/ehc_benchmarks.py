"""DfE-layout EHC plan files for the fictional authorities: timeliness, requests, assessments
(2019-2023) and annual reviews (2023), a statistical-neighbour model and the LA reference
files. The home authority's 2021-2023 counts come from the very case histories its extracts
are cut from (ehc_extracts.simulate_histories), so its local and "published" figures agree."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.ingest.dfe import LAYOUTS
from synthetic_sample.authorities import (
    CONFIDENTIAL_CELLS,
    HOME_NEIGHBOUR_BANDS,
    HOME_NEIGHBOURS,
    NEW_LA,
    REGIONS,
    TERMINATED_LA,
    TIED_PAIR,
    UNAVAILABLE_NEIGHBOUR,
    fictional_authorities,
)
from synthetic_sample.common import (
    DECISION_DAYS,
    HOME_LA_OLD_CODE,
    NO_PLAN_DAYS,
    PLAN_DAYS,
    count_text,
    write_csv,
)
from synthetic_sample.ehc_extracts import simulate_histories

# ----------------------------------------------------------------------------------------------
# Benchmark counts
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
# The LA code list's columns, as the product's layout of DfE's file names them.
LAS_HEADER = list(
    next(layout for layout in LAYOUTS if layout.name == "Local authority codes with dates of operation").exact_header
)
HIERARCHY_HEADER = ["region_code", "region_name", "old_la_code", "la_name", "new_la_code"]

TIMELINESS_BREAKDOWN = "All EHC plans issued"
REQUESTS_BREAKDOWN = "All requests for EHC needs assessments"
ASSESSMENTS_BREAKDOWN = "All EHC needs assessments"
REVIEWS_BREAKDOWN = "All annual reviews"
# DfE first published the over-20-weeks split for 2023; earlier years show `x` (unavailable).
FIRST_YEAR_WITH_SPLIT = 2023


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
            out[column] = count_text(counts[column], sym)
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
        out[column] = count_text(counts[column], sym) if column in COUNT_COLUMNS else "x"
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
        out[column] = count_text(counts[column], sym) if column in ASSESSMENT_COUNT_COLUMNS else "x"
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
        out[column] = count_text(counts[column], sym) if column in REVIEW_COUNT_COLUMNS else "x"
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


def write_ehc_benchmarks(benchmarks_dir: Path, seed: int = 2024) -> list[Path]:
    """Write the DfE-layout EHC plan files and the reference files."""
    benchmarks_dir = Path(benchmarks_dir)
    counts = benchmark_counts(seed)
    ehcp, reference = benchmarks_dir / "ehcp_synthetic", benchmarks_dir / "reference"
    # Byte-order marks and line endings as in the real files: DfE's statistics files have a
    # BOM and CRLF, the SN model a BOM and LF, the code lists neither.
    written = [
        write_csv(_timeliness_table(counts), ehcp / "timeliness_20_week_synthetic.csv", bom=True, crlf=True),
        write_csv(_requests_table(counts), ehcp / "requests_synthetic.csv", bom=True, crlf=True),
        write_csv(_assessments_table(counts), ehcp / "assessments_synthetic.csv", bom=True, crlf=True),
        write_csv(_annual_reviews_table(counts), ehcp / "annual_reviews_synthetic.csv", bom=True, crlf=True),
        write_csv(_sn_table(seed), reference / "sn_model_synthetic_wide.csv", bom=True),
        write_csv(_las_table(), reference / "las_synthetic.csv"),
        write_csv(_hierarchy_table(), reference / "region_la_hierarchy_synthetic.csv"),
    ]
    return written
