"""The open-data export: DfE small-number suppression on the real demo run and on tiny marts.

The suppression is the dbt model kpi_comparison_public. For the hand-made marts below, each
test writes a kpi_comparison mart, loads it into a warehouse of its own, runs the real model
on it with `dbt run --select kpi_comparison_public` (the threshold as the dbt variable the
pipeline passes) and publishes the result as the pipeline does (pipelines/public_export.py)."""

from __future__ import annotations

import csv
import dataclasses
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from pipelines.public_export import (
    PUBLIC_COLUMNS,
    PUBLIC_MART,
    PublicExportError,
    person_level_columns,
    public_export_path,
    write_public_export,
)
from pipelines.releases import PublishedSet
from pipelines.settings import Settings, load_settings
from tests.conftest import environment
from tests.dbt_helpers import DBT_PROJECT_DIR, run_dbt


def _settings(data_dir: Path, threshold: int = 5) -> Settings:
    return Settings(
        home_la="990",
        data_dir=data_dir,
        benchmarks_dir=data_dir / "sample_benchmarks",
        sn_model="2025",
        small_count_threshold=threshold,
        pseudonymisation_key=None,
    )


def _read_public(path: Path) -> pd.DataFrame:
    # Everything as text: 'c' and '' must come back as written.
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _key(frame: pd.DataFrame) -> pd.Series:
    return frame["kpi_id"] + "|" + frame["period_type"] + "|" + frame["period"] + "|" + frame["value_source"]


def _places(value: float, places: int) -> str:
    """Rounded to `places` decimals, halves away from zero (21.25 -> 21.3), as DuckDB and DfE do."""
    step = Decimal(1).scaleb(-places)
    rounded = Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP)
    return f"{rounded + 0:.{places}f}" if rounded != 0 else f"{0:.{places}f}"


def _one_dp(value: float) -> str:
    return _places(value, 1)


def _shown(value: float, unit: str) -> str:
    """A value as the public file shows it (pipelines/public_export.py docstring): rates per 100
    to two decimals, a whole count without decimals, everything else to one."""
    if unit == "rate_per_100":
        return _places(value, 2)
    if unit == "count" and value == int(value):
        return str(int(value))
    return _one_dp(value)


def _shown_values(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.Series([_shown(v, u) for v, u in zip(frame[column], frame["unit"], strict=True)], index=frame.index)


def _whole(value: float) -> str:
    """A count cell: empty when there is none, a whole number, or the exact value (an average)."""
    if pd.isna(value):
        return ""
    return str(int(value)) if value == int(value) else repr(float(value))


# ---------------------------------------------------------------------------------------
# The real demo run
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_export(demo_run, tmp_path_factory) -> tuple[pd.DataFrame, pd.DataFrame, Path]:
    """The public file written from the demo's published mart into a separate data folder
    (so the session's demo folder is not touched), beside the mart it came from."""
    data_dir = tmp_path_factory.mktemp("public_demo")
    (data_dir / "marts").mkdir()
    (data_dir / "marts" / PUBLIC_MART).write_bytes((demo_run.marts_dir / PUBLIC_MART).read_bytes())
    written = write_public_export(_settings(data_dir), PublishedSet(data_dir))
    assert written == [data_dir / "published" / "kpi_comparison_public.csv"]
    mart = duckdb.connect().execute(f"select * from '{demo_run.kpi_comparison}'").df()
    return mart, _read_public(written[0]), written[0]


def test_demo_export_has_one_public_row_per_mart_row_and_the_reviewed_columns(demo_export):
    mart, public, path = demo_export
    assert len(public) == len(mart) > 0
    assert set(_key(public)) == set(_key(mart))
    assert tuple(public.columns) == PUBLIC_COLUMNS
    assert "is_small_count" not in public.columns
    assert person_level_columns(list(public.columns)) == []
    # A valid CSV that DuckDB reads back with the same shape, no temporary file left behind.
    assert duckdb.connect().execute(f"select count(*) from read_csv('{path}', header = true)").fetchone()[0] == len(
        mart
    )
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_demo_small_local_counts_and_their_rates_are_c(demo_export):
    mart, public, _ = demo_export
    merged = mart.assign(key=_key(mart)).merge(public.assign(key=_key(public)), on="key", suffixes=("", "_public"))
    local = merged[merged["value_source"] == "local"]

    def small(column: str) -> pd.Series:
        return local[column].between(1, 4)

    suppressed = local[small("numerator") | small("denominator")]
    assert len(suppressed) >= 5, "the demo should have some small quarterly counts to suppress"
    # Rows withheld although their own counts are not small: secondary suppression (they would
    # give a small count away by differencing; test_no_suppressed_count_can_be_recovered...).
    secondary = local[~(small("numerator") | small("denominator")) & (local["value_public"] == "c")]
    assert len(secondary) < len(local) / 2, "secondary suppression should leave most of the file readable"
    for column in ("numerator", "denominator"):
        assert (local.loc[small(column), f"{column}_public"] == "c").all()
        exact = local[~small(column) & ~local.index.isin(secondary.index)]
        assert (exact[f"{column}_public"] == exact[column].map(_whole)).all()
    assert (suppressed["value_public"] == "c").all()
    changed = suppressed[suppressed["change"].notna()]
    assert len(changed) > 0 and (changed["change_public"] == "c").all()
    # Unsuppressed rows keep their value, in their unit's precision.
    shown = local[~(small("numerator") | small("denominator")) & ~local.index.isin(secondary.index)]
    assert len(shown) > 0
    assert (shown["value_public"] == _shown_values(shown, "value")).all()


# The breakdowns of a local total that add up to it (docs/kpis.md): the total's kpi_id + '_<group>'.
PARTITIONS = {
    "advice_6wk": ["education", "educational_psychology", "health", "social_care", "other"],
    "perm_excl_count": ["primary", "middle", "secondary", "special", "alternative_provision"],
    "perm_excl_count ": ["ehc_plan", "sen_support", "no_sen"],  # the SEN-status partition
}


def _number_or_none(text: str) -> float | None:
    return None if text in ("", "c") else float(text)


def test_no_suppressed_count_can_be_recovered_by_differencing(demo_export):
    """As someone holding only the public file would try: every suppressed local count,
    against (a) each published longer period of the same KPI that holds it, minus the other
    published periods of its type inside; (b) its published total minus the other published
    groups of its breakdown; (c) the number of exceptions as the difference of the two 20-week
    KPIs' counts. None may give a suppressed count, nor a small number of exceptions."""
    _, public, _ = demo_export
    local = public[public["value_source"] == "local"].copy()
    local["start"] = pd.to_datetime(local["period_start"])
    local["end"] = pd.to_datetime(local["period_end"])
    recovered = []
    cells = local.to_dict("records")
    for cell in cells:
        for column in ("numerator", "denominator"):
            if cell[column] != "c":
                continue
            # (a) a longer period of the same KPI holding this one
            for whole in cells:
                if whole["kpi_id"] != cell["kpi_id"] or _number_or_none(whole[column]) is None:
                    continue
                if not (
                    whole["start"] <= cell["start"]
                    and cell["end"] <= whole["end"]
                    and (whole["end"] - whole["start"]) > (cell["end"] - cell["start"])
                ):
                    continue
                parts = [
                    other
                    for other in cells
                    if other["kpi_id"] == cell["kpi_id"]
                    and other["period_type"] == cell["period_type"]
                    and whole["start"] <= other["start"]
                    and other["end"] <= whole["end"]
                ]
                others = [other for other in parts if other is not cell]
                covered = (
                    sum((p["end"] - p["start"]).days + 1 for p in parts) == (whole["end"] - whole["start"]).days + 1
                )
                if covered and all(_number_or_none(other[column]) is not None for other in others):
                    recovered.append((cell["kpi_id"], cell["period"], column, "from", whole["period"]))
            # (b) a published total minus the other groups of the breakdown
            for total, groups in PARTITIONS.items():
                total = total.strip()
                if cell["kpi_id"] not in {f"{total}_{group}" for group in groups}:
                    continue
                same_period = {
                    row["kpi_id"]: row
                    for row in cells
                    if row["period_type"] == cell["period_type"] and row["period"] == cell["period"]
                }
                siblings = [same_period.get(f"{total}_{group}") for group in groups]
                if (
                    total in same_period
                    and _number_or_none(same_period[total][column]) is not None
                    and all(
                        sibling is not None and (sibling is cell or _number_or_none(sibling[column]) is not None)
                        for sibling in siblings
                    )
                ):
                    recovered.append((cell["kpi_id"], cell["period"], column, "from total", total))
    # (c) exceptions = the 20-week KPI including them minus the one excluding them
    by_period = {}
    for cell in cells:
        if cell["kpi_id"] in ("ehcp_20wk_incl_exc", "ehcp_20wk_excl_exc"):
            by_period.setdefault((cell["period_type"], cell["period"]), {})[cell["kpi_id"]] = cell
    for period, pair in by_period.items():
        if len(pair) == 2:
            for column in ("numerator", "denominator"):
                including = _number_or_none(pair["ehcp_20wk_incl_exc"][column])
                excluding = _number_or_none(pair["ehcp_20wk_excl_exc"][column])
                if including is not None and excluding is not None and 1 <= including - excluding <= 4:
                    recovered.append(("exceptions", period, column, "difference", including - excluding))
    assert any(cell["numerator"] == "c" for cell in cells), "the demo file should hold suppressed counts"
    assert not recovered, recovered[:10]


def test_text_that_a_spreadsheet_would_run_is_written_as_text(tmp_path):
    data_dir = tmp_path / "data"
    (data_dir / "marts").mkdir(parents=True)
    row = {
        column: None
        for column in (
            "la_code",
            "la_new_code",
            "region_code",
            "region_name",
            "value_missing_reason",
            "sn_model",
            "sn_included",
            "benchmark_release",
        )
    }
    frame = pd.DataFrame(
        [
            {
                **row,
                "la_code": "990",
                "la_name": '=HYPERLINK("http://example.com","x")',
                "kpi_id": "k",
                "kpi_name": "@SUM(A1)",
                "polarity": "higher_is_better",
                "unit": "percent",
                "period_type": "calendar_year",
                "period": "2023",
                "period_start": pd.Timestamp("2023-01-01"),
                "period_end": pd.Timestamp("2023-12-31"),
                "value_source": "dfe_x",
                "numerator": 50.0,
                "denominator": 100.0,
                "value": 50.0,
                "is_small_count": False,
                "england_value": 40.0,
                "region_value": 45.0,
                "sn_mean": 44.0,
                "sn_count": 10,
                "national_rank": 3,
                "national_count": 150,
                "quartile_band": "A",
                "previous_value": 52.0,
                "change": -2.0,
                "region_name": "+West",
                "value_missing_reason": "-1 reason",
            }
        ]
    )
    frame.to_parquet(data_dir / "marts" / "kpi_comparison.parquet")
    path = _export(_settings(data_dir))
    [written] = _read_public(path).to_dict("records")
    assert written["la_name"] == '\'=HYPERLINK("http://example.com","x")'
    assert written["kpi_name"] == "'@SUM(A1)"
    assert written["region_name"] == "'+West"
    assert written["value_missing_reason"] == "'-1 reason"
    # numbers are numbers: a negative change keeps its sign, unprefixed
    assert written["change"] == "-2.0"


def test_demo_previous_value_of_a_suppressed_predecessor_is_c(demo_export):
    mart, public, _ = demo_export
    local = mart[mart["value_source"] == "local"].sort_values(["kpi_id", "period_type", "period_start"])
    local = local.assign(
        small=local["numerator"].between(1, 4) | local["denominator"].between(1, 4),
        key=_key(local),
    )
    local["previous_small"] = local.groupby(["kpi_id", "period_type"])["small"].shift(1)
    merged = local.merge(public.assign(key=_key(public)), on="key", suffixes=("", "_public"))
    # the predecessor as published: withheld by primary or secondary suppression
    merged = merged.sort_values(["kpi_id", "period_type", "period_start"])
    merged["previous_withheld"] = merged.groupby(["kpi_id", "period_type"])["value_public"].shift(1).eq("c")
    after_small = merged[(merged["previous_small"] == True) & merged["previous_value"].notna()]  # noqa: E712
    assert len(after_small) > 0
    assert (after_small["previous_value_public"] == "c").all()
    assert (after_small["change_public"] == "c").all()
    clean = merged[~merged["previous_withheld"] & (merged["value_public"] != "c") & merged["previous_value"].notna()]
    assert len(clean) > 0
    assert (clean["previous_value_public"] == _shown_values(clean, "previous_value")).all()
    assert (clean["change_public"] == _shown_values(clean, "change")).all()


def test_demo_dfe_release_rows_are_kept_as_published(demo_export):
    mart, public, _ = demo_export
    dfe = mart[mart["value_source"] != "local"].assign(key=lambda f: _key(f))
    assert len(dfe) > 0
    merged = dfe.merge(public.assign(key=_key(public)), on="key", suffixes=("", "_public"))
    assert len(merged) == len(dfe)
    assert not (merged[[f"{c}_public" for c in ("numerator", "denominator", "value", "change")]] == "c").any().any()
    with_value = merged[merged["value"].notna()]
    assert (with_value["value_public"] == _shown_values(with_value, "value")).all()
    counted = merged[merged["numerator"].notna()]
    assert (counted["numerator_public"] == counted["numerator"].map(_whole)).all()
    # Benchmarks stay, in their unit's precision.
    benchmarked = merged[merged["england_value"].notna() & merged["sn_mean"].notna()]
    assert len(benchmarked) > 0
    assert (benchmarked["england_value_public"] == _shown_values(benchmarked, "england_value")).all()
    assert (benchmarked["sn_mean_public"] == _shown_values(benchmarked, "sn_mean")).all()
    assert (benchmarked["national_rank_public"] == benchmarked["national_rank"].map(_whole)).all()


def test_demo_values_have_their_units_decimal_places(demo_export):
    _, public, _ = demo_export
    patterns = {"rate_per_100": r"-?\d+\.\d\d", "count": r"-?\d+(\.\d)?", "percent": r"-?\d+\.\d", "days": r"-?\d+\.\d"}
    assert set(public["unit"]) <= set(patterns)
    for column in ("value", "previous_value", "change", "england_value", "region_value", "sn_mean"):
        for unit, pattern in patterns.items():
            cells = public.loc[public["unit"] == unit, column]
            cells = cells[~cells.isin(["", "c"])]
            assert cells.str.fullmatch(pattern).all(), (column, unit)
    rates = public[(public["unit"] == "rate_per_100") & ~public["value"].isin(["", "c"])]
    assert len(rates) > 0, "the demo should publish exclusion rates (two decimals, as DfE)"


def test_the_staff_mart_keeps_exact_numbers(demo_run, demo_export):
    _, public, _ = demo_export
    withheld = public[(public["value_source"] == "local") & (public["numerator"] == "c")]
    exact_rows = [
        duckdb.connect()
        .execute(
            f"select numerator, denominator, value from '{demo_run.kpi_comparison}' "
            "where kpi_id = ? and period_type = ? and period = ? and value_source = 'local'",
            [row["kpi_id"], row["period_type"], row["period"]],
        )
        .fetchone()
        for row in withheld.to_dict("records")
    ]
    # the first withheld because its own numerator is small (others are secondary suppression)
    numerator, denominator, value = next(row for row in exact_rows if 1 <= row[0] <= 4)
    assert 1 <= numerator <= 4 and numerator == int(numerator)
    assert denominator >= numerator and value == pytest.approx(100 * numerator / denominator)


# ---------------------------------------------------------------------------------------
# Hand-made marts
# ---------------------------------------------------------------------------------------

_BASE = {
    "la_code": "990",
    "la_new_code": "E06009990",
    "la_name": "Test",
    "region_code": "R1",
    "region_name": "Region",
    "kpi_name": "KPI",
    "polarity": "higher_is_better",
    "unit": "percent",
    "value_missing_reason": None,
    "is_small_count": False,
    "england_value": None,
    "region_value": None,
    "sn_model": "sn_model_2025",
    "sn_mean": None,
    "sn_count": None,
    "sn_included": None,
    "national_rank": None,
    "national_count": None,
    "quartile_band": None,
    "previous_value": None,
    "change": None,
    "benchmark_release": None,
}


def _row(
    kpi_id: str,
    period: str,
    start: str,
    end: str,
    numerator,
    denominator,
    value_source="local",
    period_type="financial_quarter",
    **overrides,
) -> dict:
    value = None if not denominator else 100 * numerator / denominator
    return {
        **_BASE,
        "kpi_id": kpi_id,
        "period_type": period_type,
        "period": period,
        "period_start": pd.Timestamp(start),
        "period_end": pd.Timestamp(end),
        "value_source": value_source,
        "numerator": None if numerator is None else float(numerator),
        "denominator": None if denominator is None else float(denominator),
        "value": value,
        **overrides,
    }


def _write_mart(data_dir: Path, rows: list[dict], extra_columns: dict | None = None) -> None:
    frame = pd.DataFrame(
        rows,
        columns=list(_BASE)
        + [
            "kpi_id",
            "period_type",
            "period",
            "period_start",
            "period_end",
            "value_source",
            "numerator",
            "denominator",
            "value",
        ],
    )
    for name, value in (extra_columns or {}).items():
        frame[name] = value
    frame = frame.astype(
        {
            "numerator": "float64",
            "denominator": "float64",
            "value": "float64",
            "previous_value": "float64",
            "change": "float64",
            "england_value": "float64",
            "region_value": "float64",
            "sn_mean": "float64",
            "sn_count": "Int64",
            "sn_included": "str",
            "national_rank": "Int64",
            "national_count": "Int64",
            "is_small_count": "bool",
            "period_start": "datetime64[us]",
            "period_end": "datetime64[us]",
        }
    )
    (data_dir / "marts").mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    connection.register("frame", frame)
    connection.execute(f"copy frame to '{data_dir / 'marts' / 'kpi_comparison.parquet'}' (format parquet)")
    connection.close()


_DBT_WORK: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def _one_dbt_folder_for_the_module(tmp_path_factory):
    """Every hand-made test runs dbt in one folder with one warehouse path, so that dbt parses
    the project once and then only what changed (the warehouse is rebuilt for each test)."""
    _DBT_WORK.append(tmp_path_factory.mktemp("public_dbt"))
    yield
    _DBT_WORK.clear()


def _build_public_mart(data_dir: Path, threshold: int) -> None:
    """kpi_comparison_public from the hand-made data_dir/marts/kpi_comparison.parquet, by the
    real dbt model, written beside it as publishing writes it."""
    work = _DBT_WORK[0]
    build_db = work / "build" / "warehouse_build.duckdb"
    build_db.parent.mkdir(parents=True, exist_ok=True)
    build_db.unlink(missing_ok=True)
    mart = data_dir / "marts" / "kpi_comparison.parquet"
    # The table typed as the real mart (its contract); columns the test leaves out are NULL.
    contract = yaml.safe_load((DBT_PROJECT_DIR / "models" / "marts" / "kpi_comparison.yml").read_text())
    columns = ", ".join(f"{column['name']} {column['data_type']}" for column in contract["models"][0]["columns"])
    with duckdb.connect(str(build_db)) as connection:
        connection.execute(f"create schema marts; create table marts.kpi_comparison ({columns})")
        connection.execute(f"insert into marts.kpi_comparison by name select * from read_parquet('{mart}')")
    variables = json.dumps({"small_count_threshold": threshold})
    completed = run_dbt(["run", "--select", "kpi_comparison_public", "--vars", variables], build_db, work)
    assert completed.returncode == 0, completed.stdout[-3000:]
    with duckdb.connect(str(build_db), read_only=True) as connection:
        connection.execute(f"copy marts.kpi_comparison_public to '{data_dir / 'marts' / PUBLIC_MART}' (format parquet)")


def _export(settings: Settings) -> Path:
    _build_public_mart(settings.data_dir, settings.small_count_threshold)
    [path] = write_public_export(settings, PublishedSet(settings.data_dir))
    return path


def _public_rows(settings: Settings) -> dict[str, dict]:
    frame = _read_public(_export(settings))
    return {row["kpi_id"] + " " + row["period"]: row for row in frame.to_dict("records")}


QUARTERS = [
    ("2023-24 Q1", "2023-04-01", "2023-06-30"),
    ("2023-24 Q2", "2023-07-01", "2023-09-30"),
    ("2023-24 Q3", "2023-10-01", "2023-12-31"),
    ("2023-24 Q4", "2024-01-01", "2024-03-31"),
]


def _series(kpi_id: str, counts: list[tuple[int, int]]) -> list[dict]:
    """Consecutive quarters with previous_value and change as the mart computes them."""
    rows, previous = [], None
    for (period, start, end), (numerator, denominator) in zip(QUARTERS, counts, strict=False):
        row = _row(kpi_id, period, start, end, numerator, denominator)
        if previous is not None:
            row["previous_value"] = previous
            row["change"] = None if row["value"] is None else row["value"] - previous
        rows.append(row)
        previous = row["value"]
    return rows


def test_boundary_counts_with_threshold_5(tmp_path):
    # Numerators 0, 1, 4, 5 over a large denominator; then denominators 1, 4, 5.
    _write_mart(
        tmp_path,
        _series("num", [(0, 20), (1, 20), (4, 20), (5, 20)]) + _series("den", [(1, 1), (4, 4), (5, 5), (0, 0)]),
    )
    rows = _public_rows(_settings(tmp_path, threshold=5))

    assert rows["num 2023-24 Q1"]["numerator"] == "0" and rows["num 2023-24 Q1"]["value"] == "0.0"
    assert rows["num 2023-24 Q2"]["numerator"] == "c" and rows["num 2023-24 Q2"]["value"] == "c"
    assert rows["num 2023-24 Q2"]["denominator"] == "20"
    assert rows["num 2023-24 Q2"]["change"] == "c" and rows["num 2023-24 Q2"]["previous_value"] == "0.0"
    assert rows["num 2023-24 Q3"]["numerator"] == "c" and rows["num 2023-24 Q3"]["value"] == "c"
    assert rows["num 2023-24 Q3"]["previous_value"] == "c"
    # 5 is not small; its predecessor (4) was, so previous value and change are withheld.
    q4 = rows["num 2023-24 Q4"]
    assert (q4["numerator"], q4["denominator"], q4["value"]) == ("5", "20", "25.0")
    assert (q4["previous_value"], q4["change"]) == ("c", "c")

    assert rows["den 2023-24 Q1"]["denominator"] == "c" and rows["den 2023-24 Q1"]["numerator"] == "c"
    assert rows["den 2023-24 Q2"]["denominator"] == "c" and rows["den 2023-24 Q2"]["value"] == "c"
    assert (rows["den 2023-24 Q3"]["numerator"], rows["den 2023-24 Q3"]["denominator"]) == ("5", "5")
    assert rows["den 2023-24 Q3"]["value"] == "100.0" and rows["den 2023-24 Q3"]["previous_value"] == "c"
    # 0 over 0 is not disclosive: shown as 0, with no value (an empty cell, never 'c').
    assert (rows["den 2023-24 Q4"]["numerator"], rows["den 2023-24 Q4"]["denominator"]) == ("0", "0")
    assert rows["den 2023-24 Q4"]["value"] == ""


def test_secondary_suppression_withholds_what_would_give_a_small_count_away(tmp_path):
    """Hand-made: one small quarter; its financial year; a breakdown whose one group is small;
    the two 20-week KPIs differing by 2 exceptions (each count large on its own)."""
    year = [_row("num", "2023-24", "2023-04-01", "2024-03-31", 75, 80, period_type="financial_year")]
    total = _row("advice", "2023-24 Q1", "2023-04-01", "2023-06-30", 40, 50)
    groups = [
        _row("advice_health", "2023-24 Q1", "2023-04-01", "2023-06-30", 2, 3),
        _row("advice_education", "2023-24 Q1", "2023-04-01", "2023-06-30", 38, 47),
    ]
    twenty_weeks = [
        _row("ehcp_20wk_incl_exc", "2023-24 Q2", "2023-07-01", "2023-09-30", 30, 42),
        _row("ehcp_20wk_excl_exc", "2023-24 Q2", "2023-07-01", "2023-09-30", 30, 40),
    ]
    _write_mart(
        tmp_path, _series("num", [(20, 20), (3, 20), (26, 30), (26, 30)]) + year + [total, *groups] + twenty_weeks
    )
    rows = _public_rows(_settings(tmp_path, threshold=5))

    assert rows["num 2023-24 Q2"]["numerator"] == "c"  # primary: 3
    # the year minus the three published quarters would give 3: withheld
    assert (rows["num 2023-24"]["numerator"], rows["num 2023-24"]["value"]) == ("c", "c")
    assert rows["num 2023-24 Q3"]["numerator"] == "26"  # a quarter that gives nothing away stays
    # the total minus the published group would give the small group: withheld
    assert rows["advice_health 2023-24 Q1"]["numerator"] == "c"
    assert (rows["advice 2023-24 Q1"]["numerator"], rows["advice 2023-24 Q1"]["denominator"]) == ("c", "c")
    assert rows["advice_education 2023-24 Q1"]["numerator"] == "38"
    # 42 - 40 = 2 exceptions: the row excluding them is withheld, the other kept
    assert rows["ehcp_20wk_excl_exc 2023-24 Q2"]["denominator"] == "c"
    assert rows["ehcp_20wk_incl_exc 2023-24 Q2"]["denominator"] == "42"


def test_threshold_comes_from_settings(tmp_path):
    _write_mart(tmp_path, _series("k", [(9, 30), (10, 30), (12, 12), (3, 9)]))
    with environment(SENDKPI_DATA_DIR=str(tmp_path), SENDKPI_SMALL_COUNT_THRESHOLD="10"):
        settings = load_settings()
    assert settings.small_count_threshold == 10 and settings.data_dir == tmp_path.resolve()
    rows = _public_rows(settings)
    assert (rows["k 2023-24 Q1"]["numerator"], rows["k 2023-24 Q1"]["value"]) == ("c", "c")
    assert (rows["k 2023-24 Q2"]["numerator"], rows["k 2023-24 Q2"]["value"]) == ("10", "33.3")
    assert (rows["k 2023-24 Q2"]["previous_value"], rows["k 2023-24 Q2"]["change"]) == ("c", "c")
    assert (rows["k 2023-24 Q3"]["numerator"], rows["k 2023-24 Q3"]["change"]) == ("12", "66.7")
    assert (rows["k 2023-24 Q4"]["numerator"], rows["k 2023-24 Q4"]["denominator"]) == ("c", "c")

    # The same mart with the default threshold shows 9 and the 3 of 9 is still suppressed.
    rows = _public_rows(dataclasses.replace(settings, small_count_threshold=5))
    assert rows["k 2023-24 Q1"]["numerator"] == "9" and rows["k 2023-24 Q1"]["value"] == "30.0"
    assert (rows["k 2023-24 Q4"]["numerator"], rows["k 2023-24 Q4"]["denominator"]) == ("c", "9")


def test_rank_and_band_of_a_suppressed_calendar_year_are_withheld_and_dfe_rows_kept(tmp_path):
    benchmarks = {
        "england_value": 61.26,
        "region_value": 58.04,
        "sn_mean": 59.951,
        "sn_count": 9,
        "national_count": 41,
        "benchmark_release": "dfe_ehcp_2025",
    }
    _write_mart(
        tmp_path,
        [
            _row(
                "k",
                "2023",
                "2023-01-01",
                "2023-12-31",
                3,
                4,
                period_type="calendar_year",
                national_rank=12,
                quartile_band="B",
                **benchmarks,
            ),
            _row(
                "k",
                "2023",
                "2023-01-01",
                "2023-12-31",
                3,
                4,
                value_source="dfe_ehcp_2025",
                period_type="calendar_year",
                national_rank=12,
                quartile_band="B",
                **benchmarks,
            ),
        ],
    )
    frame = _read_public(_export(_settings(tmp_path)))
    local = frame[frame["value_source"] == "local"].iloc[0]
    dfe = frame[frame["value_source"] == "dfe_ehcp_2025"].iloc[0]
    assert (local["numerator"], local["denominator"], local["value"]) == ("c", "c", "c")
    assert (local["national_rank"], local["quartile_band"]) == ("c", "c")
    # Other authorities' published figures stay, rounded.
    assert (local["england_value"], local["region_value"], local["sn_mean"]) == ("61.3", "58.0", "60.0")
    assert (local["sn_count"], local["national_count"], local["benchmark_release"]) == ("9", "41", "dfe_ehcp_2025")
    # DfE's own published figure for us is theirs to suppress: kept as published.
    assert (dfe["numerator"], dfe["denominator"], dfe["value"]) == ("3", "4", "75.0")
    assert (dfe["national_rank"], dfe["quartile_band"]) == ("12", "B")


def test_empty_mart_gives_a_header_and_no_rows(tmp_path):
    _write_mart(tmp_path, [])
    path = _export(_settings(tmp_path))
    assert path.read_text(encoding="utf-8").splitlines() == [",".join(PUBLIC_COLUMNS)]
    assert list(csv.reader(path.open(encoding="utf-8"))) == [list(PUBLIC_COLUMNS)]


def test_a_person_level_or_unreviewed_column_stops_the_export_and_keeps_the_last_file(tmp_path):
    """The model's contract fixes its columns; the export checks them again before writing."""
    _write_mart(tmp_path, _series("k", [(10, 20)]))
    path = _export(_settings(tmp_path))
    before = path.read_bytes()
    public_mart = tmp_path / "marts" / PUBLIC_MART
    reviewed = tmp_path / "reviewed.parquet"
    reviewed.write_bytes(public_mart.read_bytes())
    for extra, message in (("'abc' as child_pseudonym", "child_pseudonym"), ("true as is_small_count", "reviewed")):
        with duckdb.connect() as connection:
            connection.execute(f"copy (select *, {extra} from '{reviewed}') to '{public_mart}' (format parquet)")
        with pytest.raises(PublicExportError, match=message):
            write_public_export(_settings(tmp_path), PublishedSet(tmp_path))
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_person_level_column_names():
    assert person_level_columns(["kpi_id", "la_code", "numerator", "period_start"]) == []
    assert person_level_columns(
        ["request_id", "Child_ID", "advice_request_pseudonym", "pupil_count", "date_of_birth", "load_id"]
    ) == ["request_id", "Child_ID", "advice_request_pseudonym", "pupil_count", "date_of_birth", "load_id"]


def test_missing_mart_is_an_error_not_an_empty_file(tmp_path):
    with pytest.raises(PublicExportError, match="does not exist"):
        write_public_export(_settings(tmp_path), PublishedSet(tmp_path))
    assert not public_export_path(PublishedSet(tmp_path)).exists()
