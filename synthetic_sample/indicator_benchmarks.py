"""SYNTHETIC DfE-layout exclusions, NEET 16-17 and children-missing-education (CME) files.

Part of the synthetic benchmark sample (synthetic_sample, `write_sample_benchmarks`):
the same fictional authorities (`fictional_authorities()`, with their years of operation),
"England" and the regions as sums over them, a fixed seed, byte-order mark and CRLF like
DfE's statistics files. Nothing here is real data; only the layouts copy DfE's releases, and
each family is written in two of DfE's layouts so that both loaders are exercised:

* exclusions by geography, academic years 2019/20-2020/21 with `school_type` (the older
  releases, AP schools labelled "Pupil referral unit") and 2021/22-2023/24 with
  `education_phase`; rates per 100 pupils on roll, to 2 decimal places;
* NEET and not known 16-17 by characteristics: 2019/20 to 2022/23 as DfE dates them
  (calendar-year time_period 2020 to 2023, the year each December-February window ends)
  under the 2025 release's column names
  (avgcohort, NEETNKprop, ...; no annual change column), 2023/24 (academic-year
  time_period 202324) under the 2026 release's names; percentages to 1 decimal place;
* CME at census date (termly, as DfE counts it: each year's Autumn term census), 2019/20-2021/22
  in the 2024/25 layout (filter_group, filter, number, pc, rate) and 2022/23-2023/24 in the
  2025/26 layout (breakdown_topic, breakdown, child_count, child_percent, rate_per_100); no
  year appears in both; and CME at any time during the academic year (cme_full_year, Total
  rows, 2019/20-2023/24), a different measure.

Years are academic years named by their first calendar year (2019 = 2019/20). An authority
appears in the academic years it operated in: 951 (abolished 31 March 2021) to 2020/21, 952
(created 1 April 2021) from 2021/22.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.ingest.dfe import EXCLUSIONS_MEASURES
from synthetic_sample.authorities import fictional_authorities
from synthetic_sample.common import count_text, write_csv

ACADEMIC_YEARS = [2019, 2020, 2021, 2022, 2023]

GEOGRAPHY_HEADER = [
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
]
_LEVEL_ORDER = {"National": 0, "Regional": 1, "Local authority": 2}
_GEOGRAPHY_TEXT = ["region_code", "region_name", "new_la_code", "old_la_code", "la_name"]


# ----------------------------------------------------------------------------------------------
# Shared helpers
# ----------------------------------------------------------------------------------------------


def academic_time_period(year: int) -> str:
    """DfE's academic-year time_period: 2022 -> '202223'."""
    return f"{year}{(year + 1) % 100:02d}"


def _la_academic_years(years: list[int]) -> pd.DataFrame:
    """One row per fictional authority and academic year it operated in."""
    las = fictional_authorities()
    grid = las.merge(pd.DataFrame({"year": years}), how="cross")
    alive = (grid["year"] >= grid["first_year"]) & (grid["year"] <= grid["last_year"])
    return grid[alive].reset_index(drop=True)


def _rate_text(
    numerator: pd.Series, denominator: pd.Series, symbol: pd.Series, decimals: int, *, drop_zero: bool = False
) -> pd.Series:
    """numerator / denominator * 100, rounded half up to `decimals` places (DfE's style);
    `low` where a non-zero count rounds to 0, `x` over a zero denominator, the row's
    suppression symbol where an input is suppressed. drop_zero: '5.0' prints as '5'."""
    share = (numerator / denominator.where(denominator > 0) * 100).astype(float)
    scale = 10**decimals
    rounded = np.floor(share * scale + 0.5 + 1e-9) / scale

    def text(value: float) -> str:
        if pd.isna(value):
            return ""
        printed = f"{value:.{decimals}f}"
        return printed.removesuffix("." + "0" * decimals) if drop_zero else printed

    out = rounded.map(text)
    out = out.mask((rounded == 0) & (numerator > 0), "low")
    out = out.mask(denominator == 0, "x")
    return out.mask(numerator.isna() | denominator.isna(), symbol)


def _with_totals(la_rows: pd.DataFrame, keys: list[str], counts: list[str]) -> pd.DataFrame:
    """Regional and national rows as sums of the authorities' published counts (a suppressed,
    blank cell adds nothing), sorted like DfE's files: year, level, region, authority, keys."""
    la_rows = la_rows.assign(geographic_level="Local authority")
    regional = la_rows.groupby(["year", "region_code", "region_name", *keys], as_index=False, sort=False)[counts].sum()
    national = la_rows.groupby(["year", *keys], as_index=False, sort=False)[counts].sum()
    regional = regional.assign(geographic_level="Regional", symbol="x")
    national = national.assign(geographic_level="National", symbol="x")
    frame = pd.concat([national, regional, la_rows], ignore_index=True)
    frame = frame.fillna({column: "" for column in _GEOGRAPHY_TEXT})
    frame["level_order"] = frame["geographic_level"].map(_LEVEL_ORDER)
    order = ["year", "level_order", "region_code", "old_la_code", *[f"{key}_order" for key in keys]]
    for key in keys:
        frame[f"{key}_order"] = frame[key].map({value: i for i, value in enumerate(dict.fromkeys(la_rows[key]))})
    return frame.sort_values(order, ignore_index=True, kind="stable")


def _geography(frame: pd.DataFrame, time_period: pd.Series, time_identifier: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "time_period": time_period,
            "time_identifier": time_identifier,
            "geographic_level": frame["geographic_level"],
            "country_code": "E92000001",
            "country_name": "England",
            **{column: frame[column] for column in _GEOGRAPHY_TEXT},
        }
    )


# ----------------------------------------------------------------------------------------------
# Exclusions by geography (academic year)
# ----------------------------------------------------------------------------------------------

PHASES = ["primary", "secondary", "special", "alternative_provision"]
# DfE's labels per phase; AP schools were "Pupil referral unit" in the older releases.
PHASE_LABELS = {
    "primary": "State-funded primary",
    "secondary": "State-funded secondary",
    "special": "Special",
    "alternative_provision": "State-funded AP school",
    "total": "Total",
}
OLD_AP_LABEL = "Pupil referral unit"
# Per phase: share of pupils, pupils per school, and rates per 100 pupils in a typical year
# (permanent exclusions, suspensions, pupils with one or more suspensions).
PHASE_PROFILE = {
    "primary": (0.553, 260, 0.02, 2.0, 0.75),
    "secondary": (0.426, 1000, 0.22, 18.0, 5.0),
    "special": (0.018, 110, 0.07, 10.0, 4.0),
    "alternative_provision": (0.003, 40, 0.20, 70.0, 25.0),
}
# The pandemic years were low, then exclusions rose past their 2018/19 level.
EXCLUSIONS_INDEX = {2019: 0.70, 2020: 0.72, 2021: 0.90, 2022: 1.00, 2023: 1.12}
FIRST_EDUCATION_PHASE_YEAR = 2021  # releases up to 2020/21 call the column school_type
EXCLUSION_COUNTS = ["num_schools", "headcount", "perm_excl", "suspension", "one_plus_susp"]
# Each rate per 100 pupils on roll and the count it is of.
EXCLUSION_RATES = {"perm_excl_rate": "perm_excl", "susp_rate": "suspension", "one_plus_susp_rate": "one_plus_susp"}
# Quirks on purpose (README): a permanent-exclusion rate that rounds to 0 ('low'), a
# confidential AP count ('c') and an authority-phase with nothing available ('x'); the same
# authority (a home neighbour) has no Total either that year, so a neighbour's headline
# figure is missing from the comparisons.
EXCLUSIONS_LOW_CELL = ("953", 2021, "primary")
EXCLUSIONS_CONFIDENTIAL_CELL = ("955", 2022, "alternative_provision")
EXCLUSIONS_UNAVAILABLE_ROW = ("971", 2022, "special")
EXCLUSIONS_UNAVAILABLE_TOTAL = ("971", 2022, "total")


def exclusions_counts(seed: int = 2024) -> pd.DataFrame:
    """Every authority's counts per academic year and phase (and their Total), as published:
    suppressed cells blank, with the symbol they print as; regional and national sums."""
    rng = np.random.default_rng([seed, 10])
    las = fictional_authorities()
    n = len(las)
    parameters = pd.DataFrame(
        {
            "old_la_code": las["old_la_code"],
            "pupils": rng.lognormal(np.log(42_000), 0.45, n),
            "perm_level": rng.uniform(0.7, 1.3, n),
            "susp_level": rng.uniform(0.82, 1.18, n),
        }
    )
    grid = _la_academic_years(ACADEMIC_YEARS).merge(parameters, on="old_la_code")
    grid = grid.merge(pd.DataFrame({"phase": PHASES}), how="cross")
    profile = pd.DataFrame(PHASE_PROFILE, index=["share", "per_school", "perm", "susp", "one_plus"]).T
    grid = grid.join(profile, on="phase")
    m = len(grid)
    index = grid["year"].map(EXCLUSIONS_INDEX)
    headcount = np.round(grid["pupils"] * grid["share"] * rng.normal(1.0, 0.02, m)).astype(int)
    headcount = np.maximum(headcount, 12)
    low = _cell(grid, EXCLUSIONS_LOW_CELL)
    headcount = np.where(low, np.maximum(headcount, 20_500), headcount)
    perm = rng.poisson(headcount * grid["perm"] / 100 * index * grid["perm_level"])
    perm = np.where(low, 1, perm)
    suspensions = rng.poisson(headcount * grid["susp"] / 100 * index * grid["susp_level"])
    one_plus = rng.poisson(headcount * grid["one_plus"] / 100 * np.sqrt(index) * grid["susp_level"])
    one_plus = np.minimum(np.minimum(one_plus, suspensions), headcount)
    grid = grid.assign(
        num_schools=np.maximum(1, np.round(headcount / grid["per_school"])).astype(int),
        headcount=headcount,
        perm_excl=perm,
        suspension=suspensions,
        one_plus_susp=one_plus,
    )
    keys = ["old_la_code", "year"]
    total = grid.groupby(keys, as_index=False, sort=False)[EXCLUSION_COUNTS].sum()
    firsts = grid.drop_duplicates(keys)[keys + ["la_name", "region_code", "region_name", "new_la_code"]]
    total = firsts.merge(total, on=keys).assign(phase="total")
    frame = pd.concat([grid, total], ignore_index=True)[
        ["year", "region_code", "region_name", "new_la_code", "old_la_code", "la_name", "phase", *EXCLUSION_COUNTS]
    ]
    frame[EXCLUSION_COUNTS] = frame[EXCLUSION_COUNTS].astype(float)
    frame["symbol"] = "c"
    confidential = _cell(frame, EXCLUSIONS_CONFIDENTIAL_CELL)
    frame.loc[confidential, "perm_excl"] = np.nan
    unavailable = _cell(frame, EXCLUSIONS_UNAVAILABLE_ROW) | _cell(frame, EXCLUSIONS_UNAVAILABLE_TOTAL)
    frame.loc[unavailable, EXCLUSION_COUNTS] = np.nan
    frame.loc[unavailable, "symbol"] = "x"
    frame["phase"] = pd.Categorical(frame["phase"], [*PHASES, "total"])
    frame = frame.sort_values(["year", "region_code", "old_la_code", "phase"], ignore_index=True)
    frame["phase"] = frame["phase"].astype(str)
    return _with_totals(frame, ["phase"], EXCLUSION_COUNTS)


def _cell(frame: pd.DataFrame, cell: tuple[str, int, str]) -> pd.Series:
    la, year, phase = cell
    return (frame["old_la_code"] == la) & (frame["year"] == year) & (frame["phase"] == phase)


def _exclusions_table(counts: pd.DataFrame, phase_column: str) -> pd.DataFrame:
    labels = dict(PHASE_LABELS)
    if phase_column == "school_type":
        labels["alternative_provision"] = OLD_AP_LABEL
    out = _geography(counts, counts["year"].map(academic_time_period), "Academic year")
    sym = counts["symbol"]
    out[phase_column] = counts["phase"].map(labels)
    for column in EXCLUSION_COUNTS:
        out[column] = count_text(counts[column], sym)
    for rate, count in EXCLUSION_RATES.items():
        out[rate] = _rate_text(counts[count], counts["headcount"], sym, 2)
    return out[[*GEOGRAPHY_HEADER, phase_column, *EXCLUSIONS_MEASURES]]


# ----------------------------------------------------------------------------------------------
# NEET and not known, 16-17, by characteristics (December-February average)
# ----------------------------------------------------------------------------------------------

AGES = ["16", "17"]
SEN_GROUPS = ["ehc_plan", "sen_support", "no_sen"]
# Share of the cohort, NEET and not-known propensity relative to the whole cohort.
SEN_PROFILE = {"ehc_plan": (0.045, 2.6, 1.3), "sen_support": (0.11, 1.7, 1.15), "no_sen": (0.845, 0.85, 0.96)}
AGE_PROFILE = {"16": (0.75, 0.7), "17": (1.25, 1.3)}  # NEET, not known relative to 16-17
NEET_INDEX = {2019: 1.00, 2020: 1.06, 2021: 0.95, 2022: 1.04, 2023: 1.10}
NOT_KNOWN_INDEX = {2019: 1.15, 2020: 1.30, 2021: 1.00, 2022: 0.92, 2023: 0.86}
NEET_COUNTS = ["avg_cohort_count", "avg_neet_nk_count", "avg_neet_count", "avg_nk_count"]
FIRST_NEET_2026_LAYOUT_YEAR = 2023
# The 2025 release's names (and DfE's capitalisation), the 2026 release's after them.
NEET_2025_HEADER = GEOGRAPHY_HEADER + [
    "Age",
    "Characteristic_grouping",
    "Characteristic",
    "avgcohort",
    "avgNEETNK",
    "avgNEET",
    "avgNK",
    "NEETNKprop",
    "NEETprop",
    "Notknownprop",
]
NEET_2026_HEADER = GEOGRAPHY_HEADER + [
    "age",
    "characteristic_grouping",
    "characteristic",
    "avg_cohort_count",
    "avg_neet_nk_count",
    "avg_neet_count",
    "avg_nk_count",
    "neet_nk_percent",
    "neet_percent",
    "nk_percent",
    "annual_change_neet_nk_percent",
]
NEET_LABELS = {
    2025: {
        "ages": {"16": "16", "17": "17", "total": "16-17"},
        "characteristics": {"total": "Total", "ehc_plan": "EHC plan", "sen_support": "SEN support", "no_sen": "No SEN"},
    },
    2026: {
        "ages": {"16": "16", "17": "17", "total": "16 to 17"},
        "characteristics": {
            "total": "Total",
            "ehc_plan": "Education, health and care plan",
            "sen_support": "SEN support",
            "no_sen": "No identified SEN",
        },
    },
}
# A confidential row (README): every NEET and not-known figure 'c', the cohort published.
NEET_CONFIDENTIAL_ROW = ("954", 2021, "17", "ehc_plan")


def neet_counts(seed: int = 2024) -> pd.DataFrame:
    """Average December-February counts per authority, academic year, age (16, 17, total) and
    SEN characteristic (and total), as published; regional and national sums."""
    rng = np.random.default_rng([seed, 11])
    las = fictional_authorities()
    n = len(las)
    parameters = pd.DataFrame(
        {
            "old_la_code": las["old_la_code"],
            # 16- and 17-year-olds resident, per age
            "age_cohort": rng.lognormal(np.log(3_600), 0.45, n),
            "neet_rate": rng.uniform(0.018, 0.050, n),
            "not_known_rate": rng.uniform(0.006, 0.075, n),
        }
    )
    grid = _la_academic_years(ACADEMIC_YEARS).merge(parameters, on="old_la_code")
    grid = grid.merge(pd.DataFrame({"age": AGES}), how="cross")
    grid = grid.merge(pd.DataFrame({"characteristic": SEN_GROUPS}), how="cross")
    m = len(grid)
    sen = pd.DataFrame(SEN_PROFILE, index=["share", "neet_factor", "nk_factor"]).T
    age = pd.DataFrame(AGE_PROFILE, index=["age_neet", "age_nk"]).T
    grid = grid.join(sen, on="characteristic").join(age, on="age")
    cohort = np.maximum(np.round(grid["age_cohort"] * grid["share"] * rng.normal(1.0, 0.03, m)), 5).astype(int)
    neet_p = grid["neet_rate"] * grid["neet_factor"] * grid["age_neet"] * grid["year"].map(NEET_INDEX)
    nk_p = grid["not_known_rate"] * grid["nk_factor"] * grid["age_nk"] * grid["year"].map(NOT_KNOWN_INDEX)
    neet_p, nk_p = np.clip(neet_p, 0, 0.5), np.clip(nk_p, 0, 0.5)
    neet = rng.binomial(cohort, neet_p)
    not_known = rng.binomial(cohort - neet, nk_p)
    grid = grid.assign(
        avg_cohort_count=cohort, avg_neet_count=neet, avg_nk_count=not_known, avg_neet_nk_count=neet + not_known
    )
    geography = ["la_name", "region_code", "region_name", "new_la_code"]
    # all SEN groups per age, then both ages per characteristic (the total of totals included)
    by_age = grid.groupby(["old_la_code", "year", "age"], as_index=False, sort=False)[NEET_COUNTS].sum()
    cells = pd.concat([grid, by_age.assign(characteristic="total")], ignore_index=True)
    by_characteristic = cells.groupby(["old_la_code", "year", "characteristic"], as_index=False, sort=False)
    cells = pd.concat([cells, by_characteristic[NEET_COUNTS].sum().assign(age="total")], ignore_index=True)
    firsts = grid.drop_duplicates(["old_la_code", "year"])[["old_la_code", "year", *geography]]
    frame = cells[["old_la_code", "year", "age", "characteristic", *NEET_COUNTS]]
    frame = frame.merge(firsts, on=["old_la_code", "year"])
    frame[NEET_COUNTS] = frame[NEET_COUNTS].astype(float)
    frame["symbol"] = "c"
    la, year, row_age, characteristic = NEET_CONFIDENTIAL_ROW
    confidential = (
        (frame["old_la_code"] == la)
        & (frame["year"] == year)
        & (frame["age"] == row_age)
        & (frame["characteristic"] == characteristic)
    )
    frame.loc[confidential, ["avg_neet_nk_count", "avg_neet_count", "avg_nk_count"]] = np.nan
    frame["age"] = pd.Categorical(frame["age"], ["total", *AGES])
    frame["characteristic"] = pd.Categorical(frame["characteristic"], ["total", *SEN_GROUPS])
    frame = frame.sort_values(["year", "region_code", "old_la_code", "age", "characteristic"], ignore_index=True)
    frame[["age", "characteristic"]] = frame[["age", "characteristic"]].astype(str)
    return _with_totals(frame, ["age", "characteristic"], NEET_COUNTS)


def _neet_percentages(counts: pd.DataFrame) -> dict[str, pd.Series]:
    sym, cohort = counts["symbol"], counts["avg_cohort_count"]
    return {
        "neet_nk_percent": _rate_text(counts["avg_neet_nk_count"], cohort, sym, 1, drop_zero=True),
        "neet_percent": _rate_text(counts["avg_neet_count"], cohort, sym, 1, drop_zero=True),
        "nk_percent": _rate_text(counts["avg_nk_count"], cohort, sym, 1, drop_zero=True),
    }


def _neet_table(counts: pd.DataFrame, release: int) -> pd.DataFrame:
    """The 2025 layout (calendar-year time_period naming the year the December-February window
    ends: academic year 2022/23 is 2023, the December 2022 to February 2023 average) or the
    2026 layout (academic-year time_period 202223)."""
    labels = NEET_LABELS[release]
    if release == 2025:
        out = _geography(counts, (counts["year"] + 1).astype(str), "Calendar year")
    else:
        out = _geography(counts, counts["year"].map(academic_time_period), "Academic year")
    out["age"] = counts["age"].map(labels["ages"])
    out["characteristic_grouping"] = np.where(counts["characteristic"] == "total", "Total", "SEND")
    out["characteristic"] = counts["characteristic"].map(labels["characteristics"])
    sym = counts["symbol"]
    for column in NEET_COUNTS:
        out[column] = count_text(counts[column], sym)
    out = out.assign(**_neet_percentages(counts))
    if release == 2025:
        renamed = dict(zip(NEET_2026_HEADER[10:20], NEET_2025_HEADER[10:], strict=False))
        return out.rename(columns=renamed)[NEET_2025_HEADER]
    out["annual_change_neet_nk_percent"] = _annual_change(counts, out["neet_nk_percent"])
    return out[NEET_2026_HEADER]


def _annual_change(counts: pd.DataFrame, current: pd.Series) -> pd.Series:
    """Change in the published NEET-or-not-known percentage from the year before, in
    percentage points (1 d.p.); `x` where either year is not a number."""
    all_years = counts.assign(pct=pd.to_numeric(_neet_percentages(counts)["neet_nk_percent"], errors="coerce"))
    keys = ["geographic_level", "region_code", "old_la_code", "age", "characteristic"]
    previous = all_years.assign(year=all_years["year"] + 1)[[*keys, "year", "pct"]]
    joined = counts[[*keys, "year"]].merge(previous, on=[*keys, "year"], how="left")
    change = pd.to_numeric(current, errors="coerce").to_numpy() - joined["pct"].to_numpy()
    rounded = np.sign(change) * np.floor(np.abs(change) * 10 + 0.5 + 1e-9) / 10
    return pd.Series(
        [("x" if pd.isna(value) else f"{value:.1f}".replace("-0.0", "0.0").removesuffix(".0")) for value in rounded],
        index=counts.index,
    )


# ----------------------------------------------------------------------------------------------
# Children missing education (academic year)
# ----------------------------------------------------------------------------------------------

CME_BREAKDOWNS = {"EHC plan": 0.08, "SEN support": 0.19, "No SEN": 0.56, "SEN status unknown": 0.17}
CME_TOPIC = "SEN provision"
CME_INDEX = {2019: 0.82, 2020: 0.86, 2021: 0.95, 2022: 1.04, 2023: 1.10}
FIRST_CME_2025_26_LAYOUT_YEAR = 2022
CME_2024_25_HEADER = GEOGRAPHY_HEADER + ["filter_group", "filter", "number", "pc", "rate"]
CME_2025_26_HEADER = GEOGRAPHY_HEADER + ["breakdown_topic", "breakdown", "child_count", "child_percent", "rate_per_100"]
# Quirks on purpose (README): a count that rounds to zero ('low') and a confidential one ('c').
CME_LOW_CELL = ("962", 2020, "EHC plan")
CME_CONFIDENTIAL_CELL = ("983", 2023, "SEN status unknown")


def cme_counts(seed: int = 2024) -> pd.DataFrame:
    """Children missing education per authority, academic year and SEN provision (and the
    Total), unrounded, with the population aged 5-16; regional and national sums of the
    unrounded counts (DfE rounds after adding up: authorities to 10, England to 100)."""
    rng = np.random.default_rng([seed, 12])
    las = fictional_authorities()
    n = len(las)
    parameters = pd.DataFrame(
        {
            "old_la_code": las["old_la_code"],
            "population": np.round(rng.lognormal(np.log(45_000), 0.45, n)),
            "cme_rate": rng.uniform(1.2, 2.7, n),
        }
    )
    grid = _la_academic_years(ACADEMIC_YEARS).merge(parameters, on="old_la_code")
    m = len(grid)
    population = np.round(grid["population"] * rng.normal(1.0, 0.01, m))
    total = rng.poisson(population * grid["cme_rate"] / 100 * grid["year"].map(CME_INDEX))
    shares = np.array(list(CME_BREAKDOWNS.values()))
    split = np.vstack([rng.multinomial(count, rng.dirichlet(shares * 60)) for count in total])
    rows = [grid.assign(population=population, breakdown="Total", child_count=total)]
    for position, label in enumerate(CME_BREAKDOWNS):
        rows.append(grid.assign(population=population, breakdown=label, child_count=split[:, position]))
    frame = pd.concat(rows, ignore_index=True)
    la, year, label = CME_LOW_CELL
    low = (frame["old_la_code"] == la) & (frame["year"] == year)
    moved = frame.loc[low & (frame["breakdown"] == label), "child_count"].to_numpy() - 3
    frame.loc[low & (frame["breakdown"] == label), "child_count"] = 3
    frame.loc[low & (frame["breakdown"] == "No SEN"), "child_count"] += moved
    frame["breakdown"] = pd.Categorical(frame["breakdown"], ["Total", *CME_BREAKDOWNS])
    frame = frame.sort_values(["year", "region_code", "old_la_code", "breakdown"], ignore_index=True)
    frame["breakdown"] = frame["breakdown"].astype(str)
    frame = frame[
        [
            "year",
            "region_code",
            "region_name",
            "new_la_code",
            "old_la_code",
            "la_name",
            "breakdown",
            "child_count",
            "population",
        ]
    ]
    frame["symbol"] = "c"
    frame[["child_count", "population"]] = frame[["child_count", "population"]].astype(float)
    return _with_totals(frame, ["breakdown"], ["child_count", "population"])


def _rounded_count_text(counts: pd.DataFrame) -> pd.Series:
    """Authorities and regions to the nearest 10, England to the nearest 100 (halves up);
    `low` for a count that rounds to 0, `c` for the confidential cell."""
    unit = np.where(counts["geographic_level"] == "National", 100, 10)
    value = counts["child_count"].to_numpy()
    rounded = np.floor(value / unit + 0.5) * unit
    text = pd.Series([str(int(v)) for v in rounded], index=counts.index)
    text = text.mask((rounded == 0) & (value > 0), "low")
    return text.mask(_cme_confidential(counts), "c")


def _cme_confidential(counts: pd.DataFrame) -> pd.Series:
    la, year, label = CME_CONFIDENTIAL_CELL
    return (counts["old_la_code"] == la) & (counts["year"] == year) & (counts["breakdown"] == label)


def _cme_table(counts: pd.DataFrame, release: str) -> pd.DataFrame:
    """Percentages and rates from the unrounded counts (1 d.p.); the rate per 100 children
    aged 5-16 only on Total rows (`z`, not applicable, for a breakdown)."""
    # DfE counts children missing education on the census day, termly: each synthetic year's
    # count is its autumn census (time_period 202324, time_identifier "Autumn term").
    out = _geography(counts, counts["year"].map(academic_time_period), "Autumn term")
    total_row = counts["breakdown"] == "Total"
    out["breakdown_topic"] = np.where(total_row, "Total", CME_TOPIC)
    out["breakdown"] = counts["breakdown"]
    out["child_count"] = _rounded_count_text(counts)
    keys = ["geographic_level", "region_code", "old_la_code", "year"]
    totals = counts[total_row].set_index(keys)["child_count"]
    of_total = pd.Series(totals.reindex(pd.MultiIndex.from_frame(counts[keys])).to_numpy(), index=counts.index)
    sym = pd.Series("c", index=counts.index)
    out["child_percent"] = _rate_text(counts["child_count"], of_total, sym, 1, drop_zero=True)
    out.loc[_cme_confidential(counts), "child_percent"] = "c"
    rate = _rate_text(counts["child_count"], counts["population"], sym, 1, drop_zero=True)
    out["rate_per_100"] = rate.where(total_row, "z")
    if release == "2024/25":
        renamed = dict(zip(CME_2025_26_HEADER[10:], CME_2024_25_HEADER[10:], strict=False))
        return out.rename(columns=renamed)[CME_2024_25_HEADER]
    return out[CME_2025_26_HEADER]


# Children missing education at any time in the year outnumber those missing on one census day.
CME_FULL_YEAR_FACTOR = 2.4
CME_FULL_YEAR_HEADER = GEOGRAPHY_HEADER + ["breakdown_topic", "breakdown", "cme_full_year"]


def _cme_full_year_table(counts: pd.DataFrame) -> pd.DataFrame:
    """The separate full-year file (column cme_full_year): Total rows, academic years."""
    totals = counts[counts["breakdown"] == "Total"].copy()
    totals["child_count"] = totals["child_count"] * CME_FULL_YEAR_FACTOR
    out = _geography(totals, totals["year"].map(academic_time_period), "Academic year")
    out["breakdown_topic"] = "Total"
    out["breakdown"] = "Total"
    out["cme_full_year"] = _rounded_count_text(totals)
    return out[CME_FULL_YEAR_HEADER]


# ----------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------


def write_indicator_benchmarks(benchmarks_dir: Path, seed: int = 2024) -> list[Path]:
    """The seven synthetic files (two layouts per family, and CME's full-year file), BOM and
    CRLF like DfE's."""
    benchmarks_dir = Path(benchmarks_dir)
    exclusions, neet, cme = exclusions_counts(seed), neet_counts(seed), cme_counts(seed)
    old_exclusions = exclusions["year"] < FIRST_EDUCATION_PHASE_YEAR
    old_neet = neet["year"] < FIRST_NEET_2026_LAYOUT_YEAR
    old_cme = cme["year"] < FIRST_CME_2025_26_LAYOUT_YEAR
    folder = {name: benchmarks_dir / f"{name}_synthetic" for name in ("exclusions", "neet", "cme")}
    tables = [
        (
            _exclusions_table(exclusions[old_exclusions], "school_type"),
            folder["exclusions"] / "exclusions_by_geography_synthetic_2019-20_2020-21_school_type.csv",
        ),
        (
            _exclusions_table(exclusions[~old_exclusions], "education_phase"),
            folder["exclusions"] / "exclusions_by_geography_synthetic_2021-22_2023-24_education_phase.csv",
        ),
        (
            _neet_table(neet[old_neet], 2025),
            folder["neet"] / "neet_16_17_characteristics_synthetic_2019_2022_layout_2025.csv",
        ),
        (
            _neet_table(neet, 2026).loc[~old_neet],  # all years: the annual change needs 2022
            folder["neet"] / "neet_16_17_characteristics_synthetic_2023-24_layout_2026.csv",
        ),
        (_cme_table(cme[old_cme], "2024/25"), folder["cme"] / "cme_synthetic_2019-20_2021-22_layout_2024-25.csv"),
        (_cme_table(cme[~old_cme], "2025/26"), folder["cme"] / "cme_synthetic_2022-23_2023-24_layout_2025-26.csv"),
        (_cme_full_year_table(cme), folder["cme"] / "cme_full_year_synthetic_2019-20_2023-24.csv"),
    ]
    return [write_csv(table, path, bom=True, crlf=True) for table, path in tables]
