"""DfE's exclusions, NEET 16-17 and children-missing-education (CME) files: two published
layouts per family, loaded into one canonical raw table each and typed by the staging models.

Hand-made CSV bodies (invented figures, no rows of DfE's files) cover the layouts and the
suppression symbols; they are loaded with the real loader and the staging models are built
with dbt on that small warehouse. The synthetic sample is checked as files (rates and sums)
and through the demo pipeline run (`demo_run`, shared with the other modules).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.ingest.dfe import CANONICAL_TABLES, LAYOUTS, load_published_folder, recognise
from synthetic_sample import HOME_LA_OLD_CODE, write_sample_benchmarks
from synthetic_sample.indicator_benchmarks import (
    CME_CONFIDENTIAL_CELL,
    CME_LOW_CELL,
    EXCLUSION_RATES,
    EXCLUSIONS_CONFIDENTIAL_CELL,
    EXCLUSIONS_LOW_CELL,
    EXCLUSIONS_UNAVAILABLE_ROW,
    EXCLUSIONS_UNAVAILABLE_TOTAL,
    NEET_CONFIDENTIAL_ROW,
    PHASE_LABELS,
)
from tests.conftest import PipelineRun
from tests.dbt_helpers import run_dbt

STAGING = ["stg_dfe__exclusions", "stg_dfe__neet", "stg_dfe__cme"]

GEOGRAPHY = (
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
    "old_la_code,new_la_code,la_name"
)
ENGLAND = "National,E92000001,England,,,,,"
SHIRE = "Local authority,E92000001,England,E12000009,South West,998,E06009998,Handmade Shire"

# --- hand-made files: the same figures under each family's older and newer column names ----------

EXCLUSIONS_MEASURES = (
    "num_schools,headcount,perm_excl,perm_excl_rate,suspension,susp_rate,one_plus_susp,one_plus_susp_rate"
)
# (geography, phase label in the newer file, label in the older file, measures)
EXCLUSIONS_ROWS = [
    (ENGLAND, "Total", "Total", "100,50000,50,0.10,4000,8.00,1250,2.50"),
    (ENGLAND, "State-funded primary", "State-funded primary", "80,27000,5,0.02,500,1.85,200,0.74"),
    (SHIRE, "State-funded secondary", "State-funded secondary", "5,6000,12,0.20,c,c,x,x"),
    (SHIRE, "Special", "Special", "2,200,0,0,30,15.00,12,6.00"),
    (SHIRE, "State-funded AP school", "Pupil referral unit", "1,40,c,low,60,:,20,u"),
]


def _exclusions_csv(phase_column: str, time_period: str = "202223") -> str:
    old = phase_column == "school_type"
    lines = [f"{GEOGRAPHY},{phase_column},{EXCLUSIONS_MEASURES}"]
    for geography, new_label, old_label, measures in EXCLUSIONS_ROWS:
        lines.append(f"{time_period},Academic year,{geography},{old_label if old else new_label},{measures}")
    # a row of another calendar: not an academic-year figure, left out of staging
    lines.append(f"{time_period[:4]},Calendar year,{ENGLAND},Total,{EXCLUSIONS_ROWS[0][3]}")
    return "\n".join(lines) + "\n"


NEET_2026_COLUMNS = (
    "age,characteristic_grouping,characteristic,avg_cohort_count,avg_neet_nk_count,avg_neet_count,avg_nk_count,"
    "neet_nk_percent,neet_percent,nk_percent,annual_change_neet_nk_percent"
)
NEET_2025_COLUMNS = (
    "Age,Characteristic_grouping,Characteristic,avgcohort,avgNEETNK,avgNEET,avgNK,NEETNKprop,NEETprop,Notknownprop"
)
# (geography, age 2026, age 2025, grouping, characteristic 2026, characteristic 2025, measures, annual change)
NEET_ROWS = [
    # ages 16 and 17 together: "16 to 17" (2026 release), "16-17" (2025) or "Total"
    (ENGLAND, "16 to 17", "16-17", "Total", "Total", "Total", "600000,33000,18000,15000,5.5,3,2.5", "0.2"),
    (
        ENGLAND,
        "16",
        "16",
        "SEND",
        '"Education, health and care plan"',
        "EHC plan",
        "13000,1300,900,400,10,6.9,3.1",
        "-0.4",
    ),
    (SHIRE, "17", "17", "SEND", "SEN support", "SEN support", "300,c,c,c,c,c,low", "x"),
    (SHIRE, "16", "16", "SEND", "No identified SEN", "No SEN", "2000,60,30,30,3,1.5,1.5", "0"),
    (SHIRE, "Total", "16-17", "Sex", "Female", "Female", "2400,100,:,x,4.2,:,z", "x"),
]


def _neet_csv(release: int, *, with_annual_change: bool = False) -> str:
    """2026 names with an academic-year period (202324); 2025 names with DfE's calendar-year
    period for the same December 2023 to February 2024 average: time_period 2024, the year
    the window ends (SEND-KPIS.md: 2025 = December 2024 to February 2025 = 2024/25)."""
    if release == 2026:
        lines = [f"{GEOGRAPHY},{NEET_2026_COLUMNS}"]
        for geography, age, _, grouping, characteristic, _, measures, change in NEET_ROWS:
            lines.append(f"202324,Academic year,{geography},{age},{grouping},{characteristic},{measures},{change}")
    else:
        extra = ",annual_change_NEETNK" if with_annual_change else ""
        lines = [f"{GEOGRAPHY},{NEET_2025_COLUMNS}{extra}"]
        for geography, _, age, grouping, _, characteristic, measures, change in NEET_ROWS:
            tail = f",{change}" if with_annual_change else ""
            lines.append(f"2024,Calendar year,{geography},{age},{grouping},{characteristic},{measures}{tail}")
    return "\n".join(lines) + "\n"


CME_ROWS = [
    (ENGLAND, "Total", "Total", "39000,100,1.8"),
    (ENGLAND, "SEN provision", "EHC plan", "3100,8,z"),
    (SHIRE, "Total", "Total", "170,100,1.6"),
    (SHIRE, "SEN provision", "EHC plan", "low,2.9,z"),
    (SHIRE, "SEN provision", "SEN support", "c,c,z"),
    (SHIRE, "Age", "5 to 10", "x,x,x"),
]


def _cme_csv(release: str) -> str:
    columns = (
        "filter_group,filter,number,pc,rate"
        if release == "2024/25"
        else ("breakdown_topic,breakdown,child_count,child_percent,rate_per_100")
    )
    lines = [f"{GEOGRAPHY},{columns}"]
    for geography, topic, breakdown, measures in CME_ROWS:
        lines.append(f"202425,Academic year,{geography},{topic},{breakdown},{measures}")
    return "\n".join(lines) + "\n"


HANDMADE_FILES = {
    "exclusions/education_phase.csv": _exclusions_csv("education_phase"),
    "exclusions/school_type.csv": _exclusions_csv("school_type"),
    "neet/neet_2026.csv": _neet_csv(2026),
    "neet/neet_2025.csv": _neet_csv(2025),
    "cme/cme_2025_26.csv": _cme_csv("2025/26"),
    "cme/cme_2024_25.csv": _cme_csv("2024/25"),
}


def _write_files(folder: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        # BOM and CRLF, as DfE publishes
        path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))


def _dbt_build(build_db: Path, work: Path) -> subprocess.CompletedProcess:
    """dbt build of the three staging models (and the phase seed) on a warehouse."""
    return run_dbt(["build", "--select", *STAGING, "dfe_school_phases"], build_db, work)


def _build_warehouse(work: Path, files: dict[str, str]) -> tuple[Path, subprocess.CompletedProcess]:
    folder = work / "benchmarks"
    _write_files(folder, files)
    build_db = work / "build.duckdb"
    with duckdb.connect(str(build_db)) as connection:
        load_published_folder(connection, folder)
    return build_db, _dbt_build(build_db, work)


@pytest.fixture(scope="module")
def handmade(tmp_path_factory) -> duckdb.DuckDBPyConnection:
    """The hand-made files loaded and the staging models built (their dbt tests passing)."""
    work = tmp_path_factory.mktemp("handmade")
    build_db, result = _build_warehouse(work, HANDMADE_FILES)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    connection = duckdb.connect(str(build_db), read_only=True)
    yield connection
    connection.close()


def _staging(connection: duckdb.DuckDBPyConnection, model: str, where: str = "true") -> pd.DataFrame:
    return connection.execute(f"select * from staging.{model} where {where}").df()


def _cells(row: pd.Series, *columns: str) -> tuple:
    """Some cells of a row, NULL (NaN) as None."""
    return tuple(None if pd.isna(row[column]) else row[column] for column in columns)


def _comparable(frame: pd.DataFrame, drop: list[str]) -> list[tuple]:
    """Rows without the columns that name the file, in a stable order, NaN as None."""
    rows = frame.drop(columns=drop).astype(object).where(frame.drop(columns=drop).notna(), None)
    return sorted(map(tuple, rows.itertuples(index=False)), key=repr)


# --- layouts ----------------------------------------------------------------------------------


def test_each_family_has_two_layouts_feeding_one_canonical_table():
    tables = {layout.name: layout.table for layout in LAYOUTS}
    for table, prefixes, count in [
        # education_phase, school_type, and the names used up to 2018/19 (fixed_excl, ...)
        ("dfe_exclusions", {"dfe_exclusions"}, 3),
        # by characteristics (2025 and 2026 names) and the LA scorecard's two kinds of row
        ("dfe_neet", {"dfe_neet", "dfe_neet_scorecard"}, 4),
        ("dfe_cme", {"dfe_cme"}, 2),
    ]:
        layouts = [layout for layout in LAYOUTS if layout.table == table]
        assert len(layouts) == count, tables
        assert {layout.release_prefix for layout in layouts} == prefixes
    assert CANONICAL_TABLES["dfe_exclusions"][-9:] == [
        "education_phase",
        "num_schools",
        "headcount",
        "perm_excl",
        "perm_excl_rate",
        "suspension",
        "susp_rate",
        "one_plus_susp",
        "one_plus_susp_rate",
    ]


def test_handmade_files_recognised_with_releases_named_by_their_latest_period(handmade):
    rows = handmade.execute(
        "select file_path, layout, canonical_table, release, rows_loaded from raw.dfe_files order by file_path"
    ).fetchall()
    found = {
        f"{Path(path).parent.name}/{Path(path).name}": (layout, table, release, count)
        for path, layout, table, release, count in rows
    }
    assert {name: value[1:] for name, value in found.items()} == {
        "exclusions/education_phase.csv": ("dfe_exclusions", "dfe_exclusions_2023", 6),
        "exclusions/school_type.csv": ("dfe_exclusions", "dfe_exclusions_2023", 6),
        # academic year 202324 and DfE's calendar year 2024 (the window ending February 2024)
        # name one release
        "neet/neet_2026.csv": ("dfe_neet", "dfe_neet_2024", 5),
        "neet/neet_2025.csv": ("dfe_neet", "dfe_neet_2024", 5),
        "cme/cme_2025_26.csv": ("dfe_cme", "dfe_cme_2025", 6),
        "cme/cme_2024_25.csv": ("dfe_cme", "dfe_cme_2025", 6),
    }
    assert "school_type" in found["exclusions/school_type.csv"][0]
    assert "education_phase" in found["exclusions/education_phase.csv"][0]
    assert "2025 release" in found["neet/neet_2025.csv"][0] and "2026 release" in found["neet/neet_2026.csv"][0]
    assert "2024/25" in found["cme/cme_2024_25.csv"][0] and "2025/26" in found["cme/cme_2025_26.csv"][0]


def test_school_type_and_education_phase_give_the_same_staging_rows(handmade):
    frame = _staging(handmade, "stg_dfe__exclusions")
    newer = frame[frame["source_file"].str.endswith("education_phase.csv")]
    older = frame[frame["source_file"].str.endswith("school_type.csv")]

    assert len(newer) == len(older) == 5  # the calendar-year row is not an exclusions figure here
    drop = ["source_file", "school_phase_label"]
    assert _comparable(newer, drop) == _comparable(older, drop)
    assert set(frame["academic_year_start"]) == {2022}
    assert set(frame["release"]) == {"dfe_exclusions_2023"}
    assert sorted(newer["school_phase"]) == ["alternative_provision", "primary", "secondary", "special", "total"]
    # the older releases' "Pupil referral unit" is the newer "State-funded AP school"
    labels = dict(zip(older["school_phase_label"], older["school_phase"], strict=False))
    assert labels["Pupil referral unit"] == "alternative_provision"
    newer_labels = dict(zip(newer["school_phase_label"], newer["school_phase"], strict=False))
    assert newer_labels["State-funded AP school"] == "alternative_provision"


def test_neet_2025_and_2026_names_and_calendar_and_academic_periods_give_the_same_rows(handmade):
    frame = _staging(handmade, "stg_dfe__neet")
    newer = frame[frame["source_file"].str.endswith("neet_2026.csv")]
    older = frame[frame["source_file"].str.endswith("neet_2025.csv")]

    assert len(newer) == len(older) == 5
    assert _comparable(newer, ["source_file"]) == _comparable(older, ["source_file"])
    # "Calendar year" 2024 (the window December 2023 to February 2024) and "Academic year" 202324
    assert set(newer["academic_year_start"]) == set(older["academic_year_start"]) == {2023}
    raw = handmade.execute("select distinct time_identifier, time_period from raw.dfe_neet order by 1").fetchall()
    assert raw == [("Academic year", "202324"), ("Calendar year", "2024")]
    assert sorted(set(zip(newer["age"], newer["characteristic"], strict=False))) == [
        ("16", "ehc_plan"),
        ("16", "no_sen"),
        ("17", "sen_support"),
        ("total", "female"),
        ("total", "total"),
    ]
    england = newer[(newer["geographic_level"] == "National") & (newer["characteristic"] == "total")].iloc[0]
    assert _cells(england, "cohort", "neet_nk", "neet", "not_known") == (600000, 33000, 18000, 15000)
    assert (england["neet_nk_pct"], england["neet_pct"], england["not_known_pct"]) == (5.5, 3.0, 2.5)
    assert set(frame["characteristic_group"]) == {"total", "send", "sex"}


def test_cme_2024_25_and_2025_26_layouts_give_the_same_staging_rows(handmade):
    frame = _staging(handmade, "stg_dfe__cme")
    newer = frame[frame["source_file"].str.endswith("cme_2025_26.csv")]
    older = frame[frame["source_file"].str.endswith("cme_2024_25.csv")]

    assert len(newer) == len(older) == 6
    assert _comparable(newer, ["source_file"]) == _comparable(older, ["source_file"])
    assert set(frame["academic_year_start"]) == {2024}
    assert sorted(set(newer["breakdown"])) == ["5 to 10", "ehc plan", "sen support", "total"]
    total = newer[(newer["geographic_level"] == "National") & (newer["breakdown"] == "total")].iloc[0]
    assert (total["breakdown_topic"], total["child_count"], total["child_percent"], total["rate_per_100"]) == (
        "total",
        39000,
        100,
        1.8,
    )


# Layouts SEND-KPIS.md describes that no file in shared/ has: CME at census date, termly, with
# its five topics and `x`/`low`; exclusions under the names used up to 2018/19 (fixed_excl),
# with a school-level row as release zips carry them.
CME_CENSUS_TERMLY = (
    "\n".join(
        [
            f"{GEOGRAPHY},breakdown_topic,breakdown,child_count,child_percent,rate_per_100",
            f"202526,Autumn term,{ENGLAND},Total,Total,12300,100,0.2000000",
            f"202526,Autumn term,{SHIRE},Total,Total,160,100,0.2000000",
            f"202526,Autumn term,{SHIRE},Sex,Female,70,43.8,x",
            f"202526,Autumn term,{SHIRE},Year group,Year 7,low,low,x",
            f"202526,Autumn term,{SHIRE},Duration,Less than 4 weeks,90,56.3,x",
            f"202526,Autumn term,{SHIRE},Reason,Moved out of the area,x,x,x",
            f"202526,Spring term,{SHIRE},Total,Total,150,100,0.1900000",
        ]
    )
    + "\n"
)
FIXED_EXCLUSIONS = (
    "\n".join(
        [
            f"{GEOGRAPHY},school_type,num_schools,headcount,perm_excl,perm_excl_rate,fixed_excl,fixed_excl_rate,"
            "one_plus_fixed,one_plus_fixed_rate",
            f"201819,Academic year,{ENGLAND},Total,24000,8000000,7900,0.10,438000,5.36,187000,2.33",
            f"201819,Academic year,{SHIRE},Total,300,70000,60,0.09,3000,4.29,1400,2.00",
            "201819,Academic year,School,E92000001,England,E12000009,South West,998,E06009998,Handmade Shire,"
            "Total,1,900,1,0.11,40,4.44,20,2.22",
        ]
    )
    + "\n"
)


def test_cme_census_termly_and_fixed_period_exclusions_from_their_documented_headers(tmp_path):
    build_db, result = _build_warehouse(
        tmp_path, {"cme/census.csv": CME_CENSUS_TERMLY, "exclusions/fixed.csv": FIXED_EXCLUSIONS}
    )
    assert result.returncode == 0, result.stdout[-3000:]
    with duckdb.connect(str(build_db), read_only=True) as connection:
        cme = _staging(connection, "stg_dfe__cme")
        exclusions = _staging(connection, "stg_dfe__exclusions")
        files = dict(connection.execute("select file_name, message from raw.dfe_files").fetchall())
    # termly: its own period type, terms numbered on from the academic year (2025 * 3 = autumn)
    assert set(cme["period_type"]) == {"term"}
    assert sorted(set(zip(cme["time_identifier"], cme["period_index"], strict=False))) == [
        ("autumn term", 6075),
        ("spring term", 6076),
    ]
    shire = cme[cme["old_la_code"] == "998"].set_index(["period_index", "breakdown_topic", "breakdown"])
    assert shire.loc[(6075, "total", "total"), "child_count"] == 160
    assert shire.loc[(6075, "total", "total"), "rate_per_100"] == pytest.approx(0.2)
    assert shire.loc[(6076, "total", "total"), "child_count"] == 150
    assert shire.loc[(6075, "sex", "female"), "child_count"] == 70
    assert pd.isna(shire.loc[(6075, "year group", "year 7"), "child_count"])
    assert shire.loc[(6075, "year group", "year 7"), "child_count_missing_reason"] == "rounds to zero"
    assert shire.loc[(6075, "reason", "moved out of the area"), "child_count_missing_reason"] == "not available"
    # fixed-period exclusions are suspensions under their old names; the school row is not a benchmark
    assert len(exclusions) == 2 and set(exclusions["academic_year_start"]) == {2018}
    shire_exclusions = exclusions[exclusions["old_la_code"] == "998"].iloc[0]
    assert _cells(shire_exclusions, "suspension", "susp_rate", "one_plus_susp", "one_plus_susp_rate") == (
        3000,
        4.29,
        1400,
        2.0,
    )
    assert "1 school-level rows ignored" in files["exclusions/fixed.csv"]


def test_neet_2025_annual_change_is_read_when_published_and_x_when_not(tmp_path):
    with_change, without = tmp_path / "with", tmp_path / "without"
    _write_files(with_change, {"neet.csv": _neet_csv(2025, with_annual_change=True)})
    _write_files(without, {"neet.csv": _neet_csv(2025)})
    connection = duckdb.connect()

    [published] = load_published_folder(connection, with_change)
    assert [layout.table for layout in published.layouts] == ["dfe_neet"]
    assert connection.execute("select annual_change_neet_nk_percent from raw.dfe_neet").fetchall() == [
        (row[-1],) for row in NEET_ROWS
    ]
    load_published_folder(connection, without)
    assert connection.execute("select distinct annual_change_neet_nk_percent from raw.dfe_neet").fetchall() == [("x",)]


# --- suppression symbols ---------------------------------------------------------------------------


def test_exclusions_symbols_become_null_with_their_reason_never_zero(handmade):
    frame = _staging(handmade, "stg_dfe__exclusions", "source_file like '%education_phase.csv'")
    frame = frame.set_index("school_phase")

    secondary, ap, special = frame.loc["secondary"], frame.loc["alternative_provision"], frame.loc["special"]
    assert _cells(secondary, "perm_excl_rate", "perm_excl_rate_missing_reason") == (0.2, None)
    assert pd.isna(secondary["suspension"]) and pd.isna(secondary["susp_rate"])
    assert secondary["susp_rate_missing_reason"] == "confidential (suppressed)"
    assert pd.isna(secondary["one_plus_susp"]) and pd.isna(secondary["one_plus_susp_rate"])
    assert secondary["one_plus_susp_rate_missing_reason"] == "not available"
    assert pd.isna(ap["perm_excl"]) and pd.isna(ap["perm_excl_rate"])
    assert ap["perm_excl_rate_missing_reason"] == "rounds to zero"
    assert pd.isna(ap["susp_rate"]) and ap["susp_rate_missing_reason"] == "not available"
    assert pd.isna(ap["one_plus_susp_rate"]) and ap["one_plus_susp_rate_missing_reason"] == "low reliability"
    # a published 0 stays 0, with no reason
    assert _cells(special, "perm_excl", "perm_excl_rate", "perm_excl_rate_missing_reason") == (0, 0, None)
    # no symbol ever turned into 0
    rates = ["perm_excl_rate", "susp_rate", "one_plus_susp_rate"]
    for rate in rates:
        reasons = frame[f"{rate}_missing_reason"].notna()
        assert frame.loc[reasons, rate].isna().all(), rate
        assert frame.loc[frame[rate].isna(), f"{rate}_missing_reason"].notna().all(), rate


def test_neet_symbols_become_null_with_their_reason_never_zero(handmade):
    frame = _staging(handmade, "stg_dfe__neet", "source_file like '%neet_2026.csv'")
    support = frame[frame["characteristic"] == "sen_support"].iloc[0]
    female = frame[frame["characteristic"] == "female"].iloc[0]

    assert support["cohort"] == 300
    assert support[["neet_nk", "neet", "not_known", "neet_nk_pct", "neet_pct", "not_known_pct"]].isna().all()
    assert (support["neet_nk_pct_missing_reason"], support["neet_pct_missing_reason"]) == (
        "confidential (suppressed)",
        "confidential (suppressed)",
    )
    assert support["not_known_pct_missing_reason"] == "rounds to zero"
    assert _cells(female, "neet_nk_pct", "neet_nk_pct_missing_reason") == (4.2, None)
    assert pd.isna(female["neet_pct"]) and female["neet_pct_missing_reason"] == "not available"
    assert pd.isna(female["not_known_pct"]) and female["not_known_pct_missing_reason"] == "not applicable"
    assert pd.isna(female["neet"]) and pd.isna(female["not_known"])


def test_cme_symbols_become_null_with_their_reason_never_zero(handmade):
    frame = _staging(handmade, "stg_dfe__cme", "source_file like '%cme_2024_25.csv' and old_la_code = '998'")
    by_breakdown = frame.set_index("breakdown")

    assert (by_breakdown.loc["total", "child_count"], by_breakdown.loc["total", "rate_per_100"]) == (170, 1.6)
    assert by_breakdown.loc["total", ["child_count_missing_reason", "rate_per_100_missing_reason"]].isna().all()
    expected = {
        "ehc plan": ("rounds to zero", "not applicable"),
        "sen support": ("confidential (suppressed)", "not applicable"),
        "5 to 10": ("not available", "not available"),
    }
    for breakdown, (count_reason, rate_reason) in expected.items():
        row = by_breakdown.loc[breakdown]
        assert pd.isna(row["child_count"]) and pd.isna(row["rate_per_100"]), breakdown
        assert (row["child_count_missing_reason"], row["rate_per_100_missing_reason"]) == (count_reason, rate_reason)
    assert by_breakdown.loc["ehc plan", "child_percent"] == 2.9


# --- what must fail or be reported ---------------------------------------------------------------


def test_an_unknown_school_phase_fails_the_build_instead_of_vanishing(tmp_path):
    text = _exclusions_csv("education_phase").replace("State-funded primary", "Independent school")
    build_db, result = _build_warehouse(tmp_path, {"exclusions.csv": text})

    assert result.returncode != 0
    failed = [line for line in result.stdout.splitlines() if " FAIL " in line]
    assert any("not_null_stg_dfe__exclusions_school_phase" in line for line in failed), result.stdout[-3000:]
    assert len(failed) == 1, failed
    with duckdb.connect(str(build_db), read_only=True) as connection:
        # the row is kept, with its published label and no phase
        assert connection.execute(
            "select school_phase, school_phase_label, headcount from staging.stg_dfe__exclusions "
            "where school_phase is null"
        ).fetchall() == [(None, "Independent school", 27000.0)]


@pytest.mark.parametrize(
    ("header", "unknown"),
    [
        # exclusions counted under names no release used
        (
            f"{GEOGRAPHY},school_type,num_schools,headcount,perm_excl,perm_excl_rate,susp_count,susp_pct,"
            "one_plus_susp_count,one_plus_susp_pct",
            "susp_count, susp_pct, one_plus_susp_count, one_plus_susp_pct",
        ),
        (f"{GEOGRAPHY},breakdown_topic,breakdown,children_count,child_percent,rate_per_100", "children_count"),
        (f"{GEOGRAPHY},Age,Characteristic_grouping,Characteristic,cohort,NEETNK_pct", "cohort, neetnk_pct"),
    ],
    ids=["exclusions-fixed-period", "cme-renamed-count", "neet-unknown-measures"],
)
def test_a_file_of_an_unknown_layout_is_reported_naming_its_columns(tmp_path, header, unknown):
    folder = tmp_path / "benchmarks"
    _write_files(folder, {"download.csv": header + "\n"})
    connection = duckdb.connect()

    [published] = load_published_folder(connection, folder)

    assert not published.recognised and published.layouts == ()
    assert published.message == (
        f"{folder / 'download.csv'}: layout not recognised; columns not in any known DfE layout: {unknown}"
    )
    # stored with the file named relative to the benchmarks folder, as the marts show it
    assert connection.execute("select layout, rows_loaded, status, message from raw.dfe_files").fetchall() == [
        (
            None,
            0,
            "unrecognised",
            f"download.csv: layout not recognised; columns not in any known DfE layout: {unknown}",
        )
    ]
    for table in ("dfe_exclusions", "dfe_neet", "dfe_cme"):
        assert connection.execute(f"select count(*) from raw.{table}").fetchone() == (0,)


def test_optional_column_counts_as_known_in_the_report(tmp_path):
    path = tmp_path / "partial.csv"
    path.write_text(f"{GEOGRAPHY},annual_change_neetnk,widgets\n", encoding="utf-8")
    assert recognise(path).message.endswith("columns not in any known DfE layout: widgets")


# --- the synthetic sample as files -----------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sample_benchmarks")
    write_sample_benchmarks(folder)
    return folder


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _family(sample: Path, folder: str) -> list[Path]:
    return sorted((sample / folder).glob("*.csv"))


def _number(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column, errors="coerce")


def test_sample_writes_both_layouts_of_each_family_with_bom_and_crlf(sample):
    headers = {}
    for folder, count in (("exclusions_synthetic", 2), ("neet_synthetic", 2), ("cme_synthetic", 3)):
        files = _family(sample, folder)
        assert len(files) == count, folder  # CME: two census-day layouts and the full-year file
        for path in files:
            data = path.read_bytes()
            assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data and "synthetic" in path.name
            published = recognise(path)
            assert published.recognised, published.message
            headers[path.name] = (published.layouts[0].name, published.header)
    names = [name for name, _ in headers.values()]
    for expected in (
        "school_type",
        "education_phase",
        "2025 release",
        "2026 release",
        "2024/25",
        "2025/26",
        "cme_full_year",
    ):
        assert sum(expected in name for name in names) == 1, expected
    readme = (sample / "README.md").read_text(encoding="utf-8")
    for text in ("exclusions_synthetic/", "neet_synthetic/", "cme_synthetic/", "`low`"):
        assert text in readme


def test_sample_years_do_not_overlap_between_layouts_and_authorities_respect_their_validity(sample):
    for folder, expected in [
        ("exclusions_synthetic", [["201920", "202021"], ["202122", "202223", "202324"]]),
        # NEET dated by the year its December-February window ends: 2020 is 2019/20
        ("neet_synthetic", [["2020", "2021", "2022", "2023"], ["202324"]]),
        ("cme_synthetic", [["201920", "202021", "202122"], ["202223", "202324"]]),
    ]:
        # (CME's full-year file is another measure, checked on its own below)
        frames = [_read(path) for path in _family(sample, folder) if "full_year" not in path.name]
        periods = sorted((sorted(set(frame["time_period"])) for frame in frames), key=lambda p: p[0])
        assert periods == expected, folder
        every = pd.concat(frames)
        # the academic year each row belongs to, by its first calendar year
        start = every["time_period"].str[:4].astype(int) - (every["time_identifier"] == "Calendar year")
        la = every["old_la_code"]
        assert set(start[la == "951"]) == {2019, 2020}, folder  # abolished 31 March 2021
        assert set(start[la == "952"]) == {2021, 2022, 2023}, folder  # created 1 April 2021
        assert set(start[la == HOME_LA_OLD_CODE]) == {2019, 2020, 2021, 2022, 2023}, folder
    neet = pd.concat(_read(path) for path in _family(sample, "neet_synthetic"))
    assert set(neet["time_identifier"]) == {"Calendar year", "Academic year"}
    # CME as DfE counts it: termly census-day files, and a full-year file by academic year
    census = pd.concat(_read(path) for path in _family(sample, "cme_synthetic") if "full_year" not in path.name)
    assert set(census["time_identifier"]) == {"Autumn term"}
    [full_year] = [_read(path) for path in _family(sample, "cme_synthetic") if "full_year" in path.name]
    assert set(full_year["time_identifier"]) == {"Academic year"}
    assert sorted(set(full_year["time_period"])) == ["201920", "202021", "202122", "202223", "202324"]


NEET_2025_TO_2026 = {
    "avgcohort": "avg_cohort_count",
    "avgneetnk": "avg_neet_nk_count",
    "avgneet": "avg_neet_count",
    "avgnk": "avg_nk_count",
    "neetnkprop": "neet_nk_percent",
    "neetprop": "neet_percent",
    "notknownprop": "nk_percent",
}


def _neet(sample: Path) -> pd.DataFrame:
    """Both NEET files under the 2026 names and labels (compared here independently of the loader)."""
    frames = [
        _read(path).rename(columns=str.lower).rename(columns=NEET_2025_TO_2026)
        for path in _family(sample, "neet_synthetic")
    ]
    frame = pd.concat(frames, ignore_index=True)
    frame["age"] = frame["age"].replace({"16-17": "Total"})
    frame["characteristic"] = frame["characteristic"].replace(
        {"EHC plan": "Education, health and care plan", "No SEN": "No identified SEN"}
    )
    return frame


CME_2024_25_TO_2025_26 = {
    "filter_group": "breakdown_topic",
    "filter": "breakdown",
    "number": "child_count",
    "pc": "child_percent",
    "rate": "rate_per_100",
}


def _exclusions(sample: Path) -> pd.DataFrame:
    frames = [
        _read(path).rename(columns={"school_type": "education_phase"})
        for path in _family(sample, "exclusions_synthetic")
    ]
    return pd.concat(frames, ignore_index=True)


def test_sample_exclusion_rates_are_counts_over_headcount_to_dfe_rounding(sample):
    frame = _exclusions(sample)
    headcount = _number(frame["headcount"])
    for rate, count in EXCLUSION_RATES.items():
        exact = _number(frame[count]) / headcount * 100
        published = _number(frame[rate])
        numeric = published.notna()
        assert numeric.sum() > 0.95 * len(frame)
        # two decimal places, halves up: never more than half a unit of the last place away
        assert (published[numeric] - exact[numeric]).abs().max() <= 0.005 + 1e-9, rate
        # 'low': a non-zero count whose rate rounds to 0.00
        low = frame[rate] == "low"
        assert (exact[low] < 0.005).all() and (_number(frame.loc[low, count]) > 0).all()
    la, year, phase = EXCLUSIONS_LOW_CELL
    cell = frame[
        (frame["old_la_code"] == la)
        & (frame["time_period"] == f"{year}{(year + 1) % 100:02d}")
        & (frame["education_phase"] == PHASE_LABELS[phase])
    ]
    assert list(cell["perm_excl_rate"]) == ["low"]


def test_sample_england_and_regions_are_sums_of_the_authorities(sample):
    frame = _exclusions(sample)
    la = frame[frame["geographic_level"] == "Local authority"]
    keys = ["time_period", "education_phase"]
    for column in ("num_schools", "headcount", "perm_excl", "suspension", "one_plus_susp"):
        sums = _number(la[column]).groupby([la[key] for key in keys]).sum()
        england = frame[frame["geographic_level"] == "National"].set_index(keys)
        assert (_number(england[column]) == sums.reindex(england.index)).all(), column
        regional_sums = _number(la[column]).groupby([la["time_period"], la["region_code"], la["education_phase"]]).sum()
        regions = frame[frame["geographic_level"] == "Regional"]
        regions = regions.set_index(["time_period", "region_code", "education_phase"])
        assert (_number(regions[column]) == regional_sums.reindex(regions.index)).all(), column
    neet = _neet(sample)
    la = neet[neet["geographic_level"] == "Local authority"]
    keys = ["time_period", "age", "characteristic"]
    national = neet[neet["geographic_level"] == "National"].set_index(keys)
    for column in ("avg_cohort_count", "avg_neet_nk_count"):
        sums = _number(la[column]).groupby([la[key] for key in keys]).sum()
        assert (_number(national[column]) == sums.reindex(national.index)).all(), column
    # NEET or not known: the average count over the average cohort, to 1 d.p.
    pct = _number(neet["neet_nk_percent"])
    assert pct.notna().sum() > 0.99 * len(neet)
    exact = _number(neet["avg_neet_nk_count"]) / _number(neet["avg_cohort_count"]) * 100
    assert (pct - exact).abs().max() <= 0.05 + 1e-9


def test_sample_cme_england_is_the_authorities_total_rounded(sample):
    for path in _family(sample, "cme_synthetic"):
        frame = _read(path).rename(columns=CME_2024_25_TO_2025_26 | {"cme_full_year": "child_count"})
        total = frame[frame["breakdown"] == "Total"]
        la = total[total["geographic_level"] == "Local authority"]
        england = total[total["geographic_level"] == "National"].set_index("time_period")
        la_sum = _number(la["child_count"]).groupby(la["time_period"]).sum()
        # authorities rounded to 10 (at most 5 off each), England to 100 (at most 50 off)
        slack = 5 * la.groupby("time_period").size() + 50
        assert ((_number(england["child_count"]) - la_sum).abs() <= slack).all()
        assert (_number(england["child_count"]) % 100 == 0).all()
        assert (_number(la["child_count"]) % 10 == 0).all()
        if "rate_per_100" in frame.columns:  # the census-day files (the full-year file has no rate)
            assert set(frame.loc[frame["breakdown"] != "Total", "rate_per_100"]) == {"z"}


def test_sample_magnitudes_are_plausible(sample):
    frame = _exclusions(sample)
    england = frame[(frame["geographic_level"] == "National") & (frame["education_phase"] == "Total")]
    assert _number(england["perm_excl_rate"]).between(0.05, 0.15).all()
    assert _number(england["susp_rate"]).between(5, 12).all()
    assert _number(england["one_plus_susp_rate"]).between(2, 3).all()
    la = frame[(frame["geographic_level"] == "Local authority") & (frame["education_phase"] == "Total")]
    # 971's Total is unavailable ('x') in 2022/23 on purpose (EXCLUSIONS_UNAVAILABLE_TOTAL).
    assert _number(la["perm_excl_rate"]).isna().sum() == 1
    assert _number(la["perm_excl_rate"]).dropna().between(0.02, 0.25).all()
    neet = _neet(sample)
    neet_pct, nk_pct = _number(neet["neet_percent"]), _number(neet["nk_percent"])
    headline = (neet["characteristic"] == "Total") & (neet["age"] == "Total")
    assert neet_pct[headline].between(1, 8).all() and nk_pct[headline].between(0.3, 11).all()
    england_headline = headline & (neet["geographic_level"] == "National")
    assert neet_pct[england_headline].between(2, 7).all() and nk_pct[england_headline].between(1, 10).all()
    cme = pd.concat(
        [
            _read(path).rename(columns=CME_2024_25_TO_2025_26)
            for path in _family(sample, "cme_synthetic")
            if "full_year" not in path.name
        ]
    )
    total = cme[cme["breakdown"] == "Total"]
    assert _number(total["rate_per_100"]).between(0.8, 3.5).all()
    assert _number(total.loc[total["geographic_level"] == "National", "rate_per_100"]).between(1, 3).all()


def test_sample_suppression_symbols_sit_where_the_readme_says(sample):
    frame = _exclusions(sample)

    def cell(la: str, year: int, label: str) -> pd.DataFrame:
        found = (frame["old_la_code"] == la) & (frame["time_period"].str[:4] == str(year))
        return frame[found & (frame["education_phase"] == label)]

    la, year, _ = EXCLUSIONS_CONFIDENTIAL_CELL
    assert cell(la, year, "State-funded AP school")[["perm_excl", "perm_excl_rate"]].values.tolist() == [["c", "c"]]
    la, year, _ = EXCLUSIONS_UNAVAILABLE_ROW
    assert set(cell(la, year, "Special").iloc[0, 11:]) == {"x"}
    la, year, _ = EXCLUSIONS_UNAVAILABLE_TOTAL
    assert set(cell(la, year, "Total").iloc[0, 11:]) == {"x"}
    neet = pd.concat([_read(path) for path in _family(sample, "neet_synthetic")], ignore_index=True)
    la, year, age, _ = NEET_CONFIDENTIAL_ROW
    row = neet[
        (neet["old_la_code"] == la)
        & (neet["time_period"] == str(year + 1))
        & (neet["Age"] == age)
        & (neet["Characteristic"] == "EHC plan")
    ]
    suppressed = ["avgNEETNK", "avgNEET", "avgNK", "NEETNKprop", "NEETprop", "Notknownprop"]
    assert row[suppressed].values.tolist() == [["c"] * 6]
    cme = pd.concat(
        [_read(path).rename(columns=CME_2024_25_TO_2025_26) for path in _family(sample, "cme_synthetic")],
        ignore_index=True,
    )
    for (la, year, label), symbol in [(CME_LOW_CELL, "low"), (CME_CONFIDENTIAL_CELL, "c")]:
        at = (cme["old_la_code"] == la) & (cme["time_period"].str[:4] == str(year))
        found = cme[at & (cme["breakdown"] == label)]
        assert list(found["child_count"]) == [symbol]


# --- the synthetic sample through the pipeline -----------------------------------------------------


@pytest.fixture(scope="module")
def demo_build(demo_run: PipelineRun) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(demo_run.data_dir / "build" / "warehouse_build.duckdb"), read_only=True)
    yield connection
    connection.close()


def test_demo_stages_every_sample_year_from_both_layouts(demo_build):
    for model, releases in [
        ("stg_dfe__exclusions", {"dfe_exclusions_2021", "dfe_exclusions_2024"}),
        ("stg_dfe__neet", {"dfe_neet_2023", "dfe_neet_2024"}),
        ("stg_dfe__cme", {"dfe_cme_2022", "dfe_cme_2024"}),
    ]:
        rows = demo_build.execute(
            f"select academic_year_start, release, count(distinct source_file) from staging.{model} "
            "group by all order by 1"
        ).fetchall()
        assert [row[0] for row in rows] == [2019, 2020, 2021, 2022, 2023], model
        assert {row[1] for row in rows} == releases, model
        assert all(row[2] == 1 for row in rows), model  # no year in both layouts
        assert (
            demo_build.execute(
                f"select count(*) from staging.{model} where old_la_code = ?", [HOME_LA_OLD_CODE]
            ).fetchone()[0]
            > 0
        ), model


def test_demo_staged_exclusions_keep_dfe_rates_and_sums(demo_build):
    frame = demo_build.execute("select * from staging.stg_dfe__exclusions").df()
    numeric = frame[frame["perm_excl_rate"].notna()]
    exact = numeric["perm_excl"] / numeric["headcount"] * 100
    assert (numeric["perm_excl_rate"] - exact).abs().max() <= 0.005 + 1e-9
    assert set(frame["school_phase"]) == {"total", "primary", "secondary", "special", "alternative_provision"}
    keys = ["academic_year_start", "school_phase"]
    la = frame[frame["geographic_level"] == "Local authority"].groupby(keys)["perm_excl"].sum()
    england = frame[frame["geographic_level"] == "National"].set_index(keys)["perm_excl"]
    assert np.array_equal(england.sort_index().to_numpy(), la.reindex(england.sort_index().index).to_numpy())
    # the sample's symbols arrive as NULL with a reason, never 0
    reasons = set(frame["perm_excl_rate_missing_reason"].dropna())
    assert reasons == {"confidential (suppressed)", "not available", "rounds to zero"}
    neet = demo_build.execute("select distinct age, characteristic from staging.stg_dfe__neet order by all").fetchall()
    assert neet == [(age, c) for age in ("16", "17", "total") for c in ("ehc_plan", "no_sen", "sen_support", "total")]
