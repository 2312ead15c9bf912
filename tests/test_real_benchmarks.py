"""The comparison mart on the real DfE files, checked against an independent recomputation.

The real pipeline (Dagster + dbt + DuckDB) runs once per authority on the real published
files in ../shared/data/dfe (read in place) with no local extracts (the first run from an
empty data folder, the others on a copy of it with another home authority), so
every KPI row is DfE's own published figure. The expected benchmarks are recomputed here with
pandas straight from the published CSVs (timeliness_20_week.csv for 2019-2024, sen2_mi.csv
for 2014-2018) and the neighbour lists, following docs/kpis.md ("Comparisons (DfE LAIT
conventions)"), not from the dbt SQL.

Authorities:
- 885 Worcestershire, given by its old LA code;
- North Lincolnshire, given by its ONS code E06000013 (old code 813): two of its 2025
  neighbours did not exist in earlier years (940 North Northamptonshire from 2021, 942
  Cumberland from 2023), so its neighbour count is below 10 in 2019-2022;
- 941 West Northamptonshire, created 1 April 2021 when Northamptonshire (928) was split:
  no published figures before 2021;
- 885 again with SENDKPI_SN_MODEL=2021 (the April 2021 neighbour groups).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.conftest import SHARED_DFE, PipelineRun, copy_of, environment, run_pipeline

pytestmark = pytest.mark.real_data

TWENTY_WEEK_KPIS = {
    # kpi_id: the published column (docs/kpis.md, "Published values (DfE)")
    "ehcp_20wk_excl_exc": "PC_plans_issued_20_weeks_ex",
    "ehcp_20wk_incl_exc": "pc_plans_issued_within_20_weeks",
}
# the same measures in the older SEN2 management-information file
SEN2_COLUMNS = {"ehcp_20wk_excl_exc": "NoExc20weekRate", "ehcp_20wk_incl_exc": "IncExc20weekRate"}
HEADLINE = "All EHC plans issued"
SUPPRESSION_SYMBOLS = {"c", "x", "z", "u", "low", ":"}
RELEASE_2025 = "dfe_ehcp_2025"
RELEASE_SEN2 = "dfe_sen2_2022"

WORCESTERSHIRE = "885"
NORTH_LINCOLNSHIRE_ONS = "E06000013"
NORTH_LINCOLNSHIRE = "813"
WEST_NORTHAMPTONSHIRE = "941"
# setting value -> old LA code the mart must report on
HOME_AUTHORITIES = {
    WORCESTERSHIRE: WORCESTERSHIRE,
    NORTH_LINCOLNSHIRE_ONS: NORTH_LINCOLNSHIRE,
    WEST_NORTHAMPTONSHIRE: WEST_NORTHAMPTONSHIRE,
}


# ----------------------------------------------------------------------------------------------
# The pipeline runs: one per authority (and model), on first use, shared by the module
# ----------------------------------------------------------------------------------------------


class RealRuns:
    """Runs the real pipeline for a home authority (and neighbour model) once, on first use."""

    def __init__(self, factory: pytest.TempPathFactory, benchmarks_dir: Path) -> None:
        self._factory = factory
        self._benchmarks_dir = benchmarks_dir
        self._runs: dict[tuple[str, str | None], PipelineRun] = {}

    def __call__(self, home_la: str, sn_model: str | None = None) -> PipelineRun:
        key = (home_la, sn_model)
        if key not in self._runs:
            # An empty data folder: no extracts (the demo key is used when there are none).
            # The first run builds the warehouse from DfE's files; the others run on a copy of
            # it with another authority or neighbour model, as a council changing its settings.
            data_dir = self._factory.mktemp(f"real_{home_la}_{sn_model or 'default'}") / "data"
            # sn_model None: the setting left unset, so the default model is used.
            with environment(SENDKPI_SN_MODEL=sn_model):
                if self._runs:
                    first = next(iter(self._runs.values()))
                    self._runs[key] = copy_of(first, data_dir).again(home_la=home_la)
                else:
                    self._runs[key] = run_pipeline(data_dir, self._benchmarks_dir, home_la=home_la)
        run = self._runs[key]
        assert run.success, f"the pipeline run for home_la={home_la} sn_model={sn_model} failed:\n{_failures(run)}"
        return run

    def mart(self, home_la: str, sn_model: str | None = None) -> pd.DataFrame:
        return pd.read_parquet(self(home_la, sn_model).kpi_comparison)


def _failures(run: PipelineRun) -> str:
    """The failed steps and the first lines of their errors (ANSI colours removed)."""
    lines = []
    for event in run.result.get_step_failure_events():
        error = event.event_specific_data.error
        message = re.sub(r"\x1b\[[0-9;]*m", "", error.message if error else "")
        lines.append(f"{event.step_key}: {message[:1500]}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def real_runs(tmp_path_factory: pytest.TempPathFactory) -> RealRuns:
    # shared_dfe is function-scoped; this module-scoped fixture applies the same skip rule.
    if not SHARED_DFE.is_dir():
        pytest.skip(f"real DfE files not available: {SHARED_DFE} is missing (they live outside the repository)")
    return RealRuns(tmp_path_factory, SHARED_DFE)


# ----------------------------------------------------------------------------------------------
# Independent reading of the published files
# ----------------------------------------------------------------------------------------------


def _number(text: str) -> float:
    """A published cell: a number, or a suppression symbol (missing, never 0)."""
    text = text.strip()
    if text.lower() in SUPPRESSION_SYMBOLS or text == "":
        return math.nan
    return float(text)


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _column(frame: pd.DataFrame, name: str) -> str:
    """The published spelling of a column (the 2025 file mixes pc_ and PC_)."""
    [real] = [column for column in frame.columns if column.lower() == name.lower()]
    return real


def headline_timeliness(dfe: Path) -> pd.DataFrame:
    """timeliness_20_week.csv headline rows: one row per geography and year, values as floats."""
    raw = _read_csv(dfe / "ehcp_2025" / "timeliness_20_week.csv")
    rows = raw[
        (raw["breakdown_topic"] == HEADLINE)
        & (raw["breakdown"] == HEADLINE)
        & (raw["time_identifier"] == "Calendar year")
    ].copy()
    rows["year"] = rows["time_period"].astype(int)
    for kpi_id, column in TWENTY_WEEK_KPIS.items():
        rows[kpi_id] = rows[_column(rows, column)].map(_number)
    authorities = rows[rows["geographic_level"] == "Local authority"]
    assert not authorities.duplicated(["old_la_code", "year"]).any(), "one headline row per LA and year"
    return rows


def headline_sen2(dfe: Path) -> pd.DataFrame:
    """sen2_mi.csv (headline rows only, CamelCase columns) in the same shape."""
    rows = _read_csv(dfe / "ehcp_2022" / "sen2_mi.csv")
    rows = rows[rows["time_identifier"] == "Calendar year"].copy()
    rows["year"] = rows["time_period"].astype(int)
    for kpi_id, column in SEN2_COLUMNS.items():
        rows[kpi_id] = rows[column].map(_number)
    authorities = rows[rows["geographic_level"] == "Local authority"]
    assert not authorities.duplicated(["old_la_code", "year"]).any(), "one row per LA and year"
    return rows


def la_values(headline: pd.DataFrame, kpi_id: str, year: int) -> pd.Series:
    """Published value by old LA code for one KPI and year (NaN where suppressed)."""
    rows = headline[(headline["geographic_level"] == "Local authority") & (headline["year"] == year)]
    return rows.set_index("old_la_code")[kpi_id]


def neighbours_2025(dfe: Path) -> dict[str, list[str]]:
    frame = _read_csv(dfe / "reference" / "sn_model_2025_wide.csv")
    columns = [_column(frame, f"SN_{rank}") for rank in range(1, 11)]
    return {row["old_la_code"].strip(): [row[c].strip() for c in columns] for _, row in frame.iterrows()}


def neighbours_2021(dfe: Path) -> dict[str, list[str]]:
    """The April 2021 workbook: a header row ("LA num", ..., "SN1", "SNP", ...) under title rows."""
    sheet = pd.read_excel(dfe / "reference" / "sn_april_2021.xlsx", sheet_name=0, header=None, dtype=str)
    [header_row] = [i for i in range(len(sheet)) if str(sheet.iloc[i, 0]).strip() == "LA num"]
    header = [str(cell).strip() for cell in sheet.iloc[header_row]]
    positions = [header.index(f"SN{rank}") for rank in range(1, 11)]
    lists = {}
    for _, row in sheet.iloc[header_row + 1 :].iterrows():
        code = str(row.iloc[0]).strip()
        if code.isdigit():
            lists[code] = [str(row.iloc[p]).strip() for p in positions if str(row.iloc[p]).strip().isdigit()]
    return lists


def expected_comparison(
    headline: pd.DataFrame, neighbours: list[str], home: str, kpi_id: str, year: int
) -> dict[str, object]:
    """docs/kpis.md: the comparisons of the home authority's published row (higher is better)."""
    values = la_values(headline, kpi_id, year)
    ours = values.get(home, math.nan)
    others = values.drop(index=home, errors="ignore").dropna()
    present = values.reindex(neighbours).dropna()
    home_region = headline.loc[
        (headline["geographic_level"] == "Local authority") & (headline["old_la_code"] == home), "region_code"
    ].unique()
    [region] = home_region
    national = headline[(headline["geographic_level"] == "National") & (headline["year"] == year)][kpi_id]
    regional = headline[
        (headline["geographic_level"] == "Regional") & (headline["year"] == year) & (headline["region_code"] == region)
    ][kpi_id]
    expected: dict[str, object] = {
        "value": ours,
        "region_code": region,
        "england_value": float(national.squeeze()),
        "region_value": float(regional.squeeze()),
        "sn_mean": float(present.mean()) if len(present) else math.nan,
        "sn_count": len(present),
    }
    if math.isnan(ours):
        expected |= {"national_rank": math.nan, "national_count": math.nan, "quartile_band": None}
        return expected
    q25, q50, q75 = np.percentile(np.append(others.to_numpy(), ours), [25, 50, 75])  # linear
    band = "A" if ours >= q75 else "B" if ours >= q50 else "C" if ours >= q25 else "D"
    expected |= {
        "national_rank": 1 + int((others > ours).sum()),
        "national_count": len(others) + 1,
        "quartile_band": band,
    }
    return expected


def same(got: object, want: object) -> bool:
    if want is None or (isinstance(want, float) and math.isnan(want)):
        return got is None or (isinstance(got, float) and math.isnan(got))
    if isinstance(want, (int, float)) and not isinstance(want, bool):
        return got is not None and not (isinstance(got, float) and math.isnan(got)) and abs(float(got) - want) <= 1e-9
    return got == want


def compare_published_rows(
    mart: pd.DataFrame,
    headline: pd.DataFrame,
    release: str,
    home: str,
    neighbours: list[str],
    expected_model: str,
    superseded_years: set[int] = frozenset(),
) -> tuple[list[str], dict[tuple[str, int], dict[str, object]]]:
    """Every calendar-year row of the 20-week KPIs from one release against the recomputation
    from that release's file (years a newer release also publishes are the newer one's)."""
    published_years = sorted(set(headline.loc[headline["old_la_code"] == home, "year"]) - set(superseded_years))
    problems: list[str] = []
    expected_rows = {}
    for kpi_id in TWENTY_WEEK_KPIS:
        rows = mart[
            (mart["kpi_id"] == kpi_id) & (mart["period_type"] == "calendar_year") & (mart["value_source"] == release)
        ]
        years = sorted(int(period) for period in rows["period"])
        if years != published_years:
            problems.append(f"{kpi_id}: mart has {release} rows for {years}, the file for {published_years}")
        for _, row in rows.iterrows():
            year = int(row["period"])
            want = expected_comparison(headline, neighbours, home, kpi_id, year)
            expected_rows[(kpi_id, year)] = want
            if row["polarity"] != "higher_is_better":
                problems.append(f"{kpi_id} {year}: polarity {row['polarity']!r}")
            if row["sn_model"] != expected_model:
                problems.append(f"{kpi_id} {year}: sn_model {row['sn_model']!r}, expected {expected_model!r}")
            if row["benchmark_release"] != release:
                problems.append(
                    f"{kpi_id} {year}: benchmark_release {row['benchmark_release']!r}, expected {release!r}"
                )
            for column, value in want.items():
                got = row[column]
                got = None if got is pd.NA else got
                if not same(got, value):
                    problems.append(f"{home} {release} {kpi_id} {year} {column}: mart {got!r}, recomputed {value!r}")
    return problems, expected_rows


def home_rows(mart: pd.DataFrame, home: str) -> pd.DataFrame:
    assert set(mart["la_code"]) == {home}, f"the mart reports on {set(mart['la_code'])}, expected {home}"
    return mart


# ----------------------------------------------------------------------------------------------
# Neighbour mean, rank, band, England and region: mart = independent recomputation
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("setting", list(HOME_AUTHORITIES), ids=lambda code: f"home_la={code}")
def test_published_rows_match_independent_recomputation(shared_dfe, real_runs, setting):
    home = HOME_AUTHORITIES[setting]
    mart = home_rows(real_runs.mart(setting), home)

    neighbours = neighbours_2025(shared_dfe)[home]
    headline = headline_timeliness(shared_dfe)

    problems, expected = compare_published_rows(mart, headline, RELEASE_2025, home, neighbours, "sn_model_2025")
    # SEN2 years the 2025 release does not cover (2014-2018), from sen2_mi.csv
    sen2_problems, _ = compare_published_rows(
        mart,
        headline_sen2(shared_dfe),
        RELEASE_SEN2,
        home,
        neighbours,
        "sn_model_2025",
        superseded_years=set(headline["year"]),
    )

    assert not problems + sen2_problems, "\n".join(problems + sen2_problems)
    assert expected, "no 2025-release rows to compare"


def test_sn_model_column_names_the_2025_model_on_every_row(real_runs):
    for setting, home in HOME_AUTHORITIES.items():
        mart = home_rows(real_runs.mart(setting), home)
        assert len(mart) > 0
        assert set(mart["sn_model"]) == {"sn_model_2025"}, setting


def test_authority_given_by_ons_code_is_reported_under_both_codes(shared_dfe, real_runs):
    mart = home_rows(real_runs.mart(NORTH_LINCOLNSHIRE_ONS), NORTH_LINCOLNSHIRE)
    las = _read_csv(shared_dfe / "reference" / "las.csv")
    [name] = las.loc[las["new_la_code"] == NORTH_LINCOLNSHIRE_ONS, "la_name"]

    assert set(zip(mart["la_code"], mart["la_new_code"], mart["la_name"], strict=False)) == {
        (NORTH_LINCOLNSHIRE, NORTH_LINCOLNSHIRE_ONS, name)
    }


def test_neighbours_that_did_not_exist_yet_are_left_out_not_counted_as_zero(shared_dfe, real_runs):
    """North Lincolnshire's 2025 neighbours include 940 (from 2021) and 942 (from 2023)."""
    home = NORTH_LINCOLNSHIRE
    neighbours = neighbours_2025(shared_dfe)[home]
    assert {"940", "942"} <= set(neighbours)
    mart = home_rows(real_runs.mart(NORTH_LINCOLNSHIRE_ONS), home)
    headline = headline_timeliness(shared_dfe)

    counts = {}
    for kpi_id in TWENTY_WEEK_KPIS:
        for year in range(2019, 2025):
            want = expected_comparison(headline, neighbours, home, kpi_id, year)
            [row] = mart[
                (mart["kpi_id"] == kpi_id) & (mart["period"] == str(year)) & (mart["value_source"] == RELEASE_2025)
            ].to_dict("records")
            counts[(kpi_id, year)] = row["sn_count"]
            assert row["sn_count"] == want["sn_count"], (kpi_id, year)
            assert abs(row["sn_mean"] - want["sn_mean"]) <= 1e-9, (kpi_id, year)
            present = la_values(headline, kpi_id, year).reindex(neighbours)
            if want["sn_count"] < 10:
                # a missing neighbour taken as 0 would give sum / 10
                assert abs(row["sn_mean"] - present.fillna(0).sum() / 10) > 1e-6, (kpi_id, year)

    # By hand: 940 and 942 missing in 2019-2020, 942 still missing in 2021-2022.
    for kpi_id in TWENTY_WEEK_KPIS:
        assert [counts[(kpi_id, year)] for year in range(2019, 2025)] == [8, 8, 9, 9, 10, 10], kpi_id


def test_authority_created_by_a_boundary_change(shared_dfe, real_runs):
    """West Northamptonshire (941) exists from 1 April 2021 (Northamptonshire, 928, was split)."""
    home = WEST_NORTHAMPTONSHIRE
    las = _read_csv(shared_dfe / "reference" / "las.csv")
    [started] = las.loc[las["old_la_code"] == home, "date_of_operation"]
    first_year = int(started[-4:])
    assert first_year == 2021
    mart = home_rows(real_runs.mart(home), home)
    calendar = mart[mart["period_type"] == "calendar_year"]

    # Years before it existed: no published row, or a NULL value that says why (never 0, and
    # never Northamptonshire's figures).
    before = calendar[calendar["period"].astype(int) < first_year]
    assert before["value"].isna().all(), before[["kpi_id", "period", "value"]].to_string()
    assert before["value_missing_reason"].notna().all()
    for kpi_id in TWENTY_WEEK_KPIS:
        rows = calendar[calendar["kpi_id"] == kpi_id]
        years = sorted(int(p) for p in rows.loc[rows["value"].notna(), "period"])
        assert years == list(range(2021, 2025)), kpi_id
        assert set(rows.loc[rows["value"].notna(), "value_source"]) == {RELEASE_2025}
        # one row per year
        assert not rows["period"].duplicated().any(), kpi_id

    # Its neighbours with no value are left out of the mean and the count: in 2022 Havering
    # (311) is suppressed ("x") for both 20-week measures.
    neighbours = neighbours_2025(shared_dfe)[home]
    headline = headline_timeliness(shared_dfe)
    checked_below_ten = 0
    for kpi_id in TWENTY_WEEK_KPIS:
        for year in range(2021, 2025):
            want = expected_comparison(headline, neighbours, home, kpi_id, year)
            [row] = calendar[(calendar["kpi_id"] == kpi_id) & (calendar["period"] == str(year))].to_dict("records")
            assert row["sn_count"] == want["sn_count"], (kpi_id, year)
            assert abs(row["sn_mean"] - want["sn_mean"]) <= 1e-9, (kpi_id, year)
            if want["sn_count"] < 10:
                checked_below_ten += 1
                assert row["sn_count"] < 10
    assert checked_below_ten == 2  # 2022, both KPIs
    assert math.isnan(la_values(headline, "ehcp_20wk_excl_exc", 2022)["311"])


# ----------------------------------------------------------------------------------------------
# England's excluding-exceptions series: SEN2 2014-2018, the 2025 release 2019-2024
# ----------------------------------------------------------------------------------------------


def test_england_excluding_exceptions_series_joins_two_releases(shared_dfe, real_runs):
    mart = home_rows(real_runs.mart(WORCESTERSHIRE), WORCESTERSHIRE)
    rows = mart[(mart["kpi_id"] == "ehcp_20wk_excl_exc") & (mart["period_type"] == "calendar_year")]

    sen2 = _read_csv(shared_dfe / "ehcp_2022" / "sen2_mi.csv")
    sen2_england = {
        int(r["time_period"]): _number(r["NoExc20weekRate"])
        for _, r in sen2[sen2["geographic_level"] == "National"].iterrows()
    }
    sen2_home = {
        int(r["time_period"]): _number(r["NoExc20weekRate"])
        for _, r in sen2[sen2["old_la_code"] == WORCESTERSHIRE].iterrows()
    }
    headline = headline_timeliness(shared_dfe)
    release_england = headline[headline["geographic_level"] == "National"].set_index("year")["ehcp_20wk_excl_exc"]
    release_home = headline[headline["old_la_code"] == WORCESTERSHIRE].set_index("year")["ehcp_20wk_excl_exc"]

    # one row per year, 2014-2024: the overlapping 2019-2021 are not counted twice
    assert sorted(rows["period"].astype(int)) == list(range(2014, 2025))
    by_year = rows.assign(year=rows["period"].astype(int)).set_index("year")
    for year in range(2014, 2019):
        row = by_year.loc[year]
        assert row["value_source"] == RELEASE_SEN2, year
        assert abs(row["england_value"] - sen2_england[year]) <= 1e-9, year
        assert same(row["value"], sen2_home[year]), year
    for year in range(2019, 2025):
        row = by_year.loc[year]
        assert row["value_source"] == RELEASE_2025, year
        assert abs(row["england_value"] - release_england[year]) <= 1e-9, year
        assert same(row["value"], release_home[year]), year
    assert by_year.loc[2023, "england_value"] == 50.3
    assert [by_year.loc[y, "england_value"] for y in range(2014, 2019)] == [64.3, 59.2, 58.6, 64.9, 60.1]
    # the benchmarks of each row come from the same release as its value
    assert (by_year["benchmark_release"] == by_year["value_source"]).all()
    # SEN2 printed "z" for Worcestershire 2014: a NULL with its reason, never 0
    assert math.isnan(sen2_home[2014])
    assert pd.isna(by_year.loc[2014, "value"]) and by_year.loc[2014, "value_missing_reason"]


# ----------------------------------------------------------------------------------------------
# The 2021 neighbour model
# ----------------------------------------------------------------------------------------------


def test_2021_model_setting_uses_the_2021_neighbours(shared_dfe, real_runs):
    home = WORCESTERSHIRE
    neighbours = neighbours_2021(shared_dfe)[home]
    assert neighbours[0] == "937" and len(neighbours) == 10
    assert neighbours != neighbours_2025(shared_dfe)[home]

    mart = home_rows(real_runs.mart(WORCESTERSHIRE, sn_model="2021"), home)

    assert set(mart["sn_model"]) == {"sn_model_2021"}
    headline = headline_timeliness(shared_dfe)
    problems, expected = compare_published_rows(mart, headline, RELEASE_2025, home, neighbours, "sn_model_2021")
    sen2_problems, _ = compare_published_rows(
        mart,
        headline_sen2(shared_dfe),
        RELEASE_SEN2,
        home,
        neighbours,
        "sn_model_2021",
        superseded_years=set(headline["year"]),
    )
    assert not problems + sen2_problems, "\n".join(problems + sen2_problems)
    assert len(expected) == 12  # 2019-2024, two KPIs


# ----------------------------------------------------------------------------------------------
# Every authority in the 2025 neighbour file resolves to a code in the reference data
# ----------------------------------------------------------------------------------------------


def _codes_named_by_2025_model(dfe: Path) -> set[str]:
    lists = neighbours_2025(dfe)
    return set(lists) | {code for neighbours in lists.values() for code in neighbours}


def _las_codes(dfe: Path, live_only: bool = False) -> set[str]:
    """old_la_code values of las.csv; combined rows ("940 / 941") name each code."""
    las = _read_csv(dfe / "reference" / "las.csv")
    if live_only:
        las = las[las["status"] == "live"]
    return {part.strip() for cell in las["old_la_code"] for part in cell.split("/") if part.strip()}


# Found by hand: every one of the 153 authorities of sn_model_2025_wide.csv and every
# neighbour it names has a row in las.csv, and a live one. The codes that need care all
# resolve: 940 / 941, 942 / 943 and 314 / 318 appear both in combined rows and in rows of
# their own; 370, 373 (Barnsley, Sheffield: new ONS codes 2025), 390 and 929 (Gateshead,
# Northumberland: new ONS codes 2013), 815 and 933 (North Yorkshire, Somerset: unitary from
# 2023) and 825 (Buckinghamshire, unitary from 2020) each have a terminated and a live row.
EXPECTED_UNRESOLVED_2025: set[str] = set()


def test_every_code_in_the_2025_neighbour_file_resolves_in_las_csv(shared_dfe):
    named = _codes_named_by_2025_model(shared_dfe)
    assert len(neighbours_2025(shared_dfe)) == 153
    assert all(len(neighbours) == 10 for neighbours in neighbours_2025(shared_dfe).values())

    assert named - _las_codes(shared_dfe) == EXPECTED_UNRESOLVED_2025
    assert named - _las_codes(shared_dfe, live_only=True) == EXPECTED_UNRESOLVED_2025


def _published_resolution_table(run: PipelineRun) -> Callable[[], pd.DataFrame] | None:
    """The product's list of neighbour-model codes and how they resolve, if it publishes one."""
    for path in sorted(run.marts_dir.glob("*.parquet")):
        if "resolution" in path.stem or "unresolved" in path.stem:
            return lambda path=path: pd.read_parquet(path)
    with duckdb.connect(str(run.data_dir / "warehouse.duckdb"), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_name like '%resolution%' or table_name like '%unresolved%'"
        ).fetchall()
    if not tables:
        return None
    [(schema, table)] = tables

    def read() -> pd.DataFrame:
        with duckdb.connect(str(run.data_dir / "warehouse.duckdb"), read_only=True) as connection:
            return connection.execute(f"select * from {schema}.{table}").df()

    return read


def test_run_lists_the_neighbour_codes_it_cannot_resolve(shared_dfe, real_runs):
    read = _published_resolution_table(real_runs(WORCESTERSHIRE))
    if read is None:
        pytest.skip("the published warehouse has no code-resolution table yet: only the raw-file fact is tested")
    table = read()
    assert {"sn_model", "la_code", "unresolved_reason"} <= set(table.columns), list(table.columns)
    model_2025 = table[table["sn_model"] == "sn_model_2025"]

    assert set(model_2025["la_code"]) == _codes_named_by_2025_model(shared_dfe)
    assert not model_2025["la_code"].duplicated().any()
    unresolved = set(model_2025.loc[model_2025["unresolved_reason"].notna(), "la_code"])
    assert unresolved == EXPECTED_UNRESOLVED_2025
