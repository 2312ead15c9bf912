"""Dedicated Schools Grant: the loader, the settings, and the marts through the real pipeline."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from pipelines.dbt_vars import dbt_vars
from pipelines.ingest.returns import DSG, load_returns_folder
from pipelines.run_report import returns_quarantine_reasons
from pipelines.settings import SettingsError, load_settings

MONITORING_HEADER = "financial_year,period,block,budget_gbp_k,forecast_outturn_gbp_k\n"
BALANCES_HEADER = "financial_year,cumulative_deficit_at_1_april_gbp_k,total_dsg_allocation_gbp_k\n"


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _rows(connection: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return connection.execute(sql).fetchall()


# --- loader ---------------------------------------------------------------------------------------


def test_both_layouts_are_recognised_by_header_whatever_the_file_name(tmp_path):
    folder = tmp_path / "dsg"
    _write(folder, "september report.csv", MONITORING_HEADER + '2023-24,P6,high_needs,"74,692",82836\n')
    _write(folder, "balances.CSV", BALANCES_HEADER + "2023-24,20300,244025\n2024-25,,250623\n")
    connection = duckdb.connect()

    files = load_returns_folder(connection, DSG, folder)

    assert {found.path.name: found.layout for found in files} == {
        "september report.csv": "dsg_monitoring",
        "balances.CSV": "dsg_balances",
    }
    assert _rows(
        connection,
        "select period, block, budget_gbp_k, forecast_outturn_gbp_k, source_row_number from raw.dsg_monitoring",
    ) == [("P6", "high_needs", 74692.0, 82836.0, 2)]
    assert _rows(
        connection,
        "select financial_year, cumulative_deficit_at_1_april_gbp_k, total_dsg_allocation_gbp_k "
        "from raw.dsg_balances order by 1",
    ) == [("2023-24", 20300.0, 244025.0), ("2024-25", None, 250623.0)]
    assert _rows(connection, "select count(*) from raw.quarantine") == [(0,)]


def test_an_unknown_layout_is_reported_with_its_columns_and_not_loaded(tmp_path):
    folder = tmp_path / "dsg"
    _write(folder, "notes.csv", "year,amount\n2023-24,5\n")
    # one column short of the monitoring layout: the header must match exactly
    _write(folder, "short.csv", "financial_year,period,block,budget_gbp_k\n2023-24,P6,schools,1\n")
    connection = duckdb.connect()

    files = load_returns_folder(connection, DSG, folder)

    assert [found.layout for found in files] == [None, None]
    notes = next(found for found in files if found.path.name == "notes.csv")
    assert "layout not recognised" in notes.message and "year, amount" in notes.message
    assert _rows(connection, "select count(*) from raw.dsg_monitoring") == [(0,)]


def test_rows_breaking_a_rule_are_quarantined_with_their_row_numbers(tmp_path):
    folder = tmp_path / "dsg"
    path = _write(
        folder,
        "monitoring.csv",
        MONITORING_HEADER
        + "\n".join(
            [
                "2023-24,P6,high_needs,74692,82836",  # row 2: good
                "2023-24,P13,schools,1,1",  # row 3: no period 13
                "2023-24,P6,libraries,1,1",  # row 4: not a DSG block
                "2023-25,P6,central,1,1",  # row 5: not a financial year
                "2023-24,P5,central,lots,1",  # row 6: not a number
                "2023-24,P5,early_years,1,",  # row 7: forecast missing
            ]
        )
        + "\n",
    )
    connection = duckdb.connect()

    [outcome] = load_returns_folder(connection, DSG, folder)

    assert (outcome.rows_in_file, outcome.rows_loaded, outcome.rows_quarantined) == (6, 1, 5)
    quarantined = _rows(
        connection,
        "select source_row_number, column_name, check_name, original_value, extract, "
        "file_path, load_id from raw.quarantine order by source_row_number",
    )
    by_row = {row[0]: row for row in quarantined}
    assert sorted(by_row) == [3, 4, 5, 6, 7]
    assert by_row[3][1:4:2] == ("period", "P13")
    assert by_row[4][1:4:2] == ("block", "libraries")
    assert by_row[5][1:4] == ("financial_year", "a financial year like 2023-24", "2023-25")
    assert by_row[6][1:4] == ("budget_gbp_k", "type: a number (GBP thousands)", "lots")
    assert by_row[7][1:3] == ("forecast_outturn_gbp_k", "not_nullable")
    assert {row[4] for row in quarantined} == {"dsg_monitoring"}
    assert {row[5] for row in quarantined} == {str(path)}
    assert all(row[6].startswith("dsg:") for row in quarantined)
    # What the run report says, recorded by the loading step (pipelines/assets/ingest.py).
    reasons = returns_quarantine_reasons(connection, list(DSG.tables))
    by_column = {r["column"]: (r["extract"], r["file"], r["rule"], r["rows"], r["first_rows"]) for r in reasons}
    assert sorted(by_column) == ["block", "budget_gbp_k", "financial_year", "forecast_outturn_gbp_k", "period"]
    assert by_column["budget_gbp_k"] == ("dsg_monitoring", "monitoring.csv", "type: a number (GBP thousands)", 1, [6])
    assert [by_column[column][4] for column in ("period", "block", "financial_year")] == [[3], [4], [5]]


def test_a_period_and_block_given_twice_across_files_is_quarantined_in_both(tmp_path):
    folder = tmp_path / "dsg"
    _write(folder, "a.csv", MONITORING_HEADER + "2023-24,P6,high_needs,74692,82836\n2023-24,P6,schools,1,1\n")
    _write(folder, "b.csv", MONITORING_HEADER + "2023-24,P6,high_needs,74692,90000\n")
    _write(folder, "bal.csv", BALANCES_HEADER + "2023-24,1,2\n2023-24,3,4\n")
    connection = duckdb.connect()

    load_returns_folder(connection, DSG, folder)

    assert _rows(connection, "select block from raw.dsg_monitoring") == [("schools",)]
    duplicates = _rows(
        connection,
        "select extract, regexp_extract(file_path, '[a-z]+\\.csv'), source_row_number, "
        "column_name, check_name from raw.quarantine order by 1, 2, 3",
    )
    assert duplicates == [
        ("dsg_balances", "bal.csv", 2, "financial_year", "unique across the dsg folder"),
        ("dsg_balances", "bal.csv", 3, "financial_year", "unique across the dsg folder"),
        ("dsg_monitoring", "a.csv", 2, "financial_year,period,block", "unique across the dsg folder"),
        ("dsg_monitoring", "b.csv", 2, "financial_year,period,block", "unique across the dsg folder"),
    ]


def test_the_folder_is_reloaded_whole_and_a_missing_folder_gives_empty_tables(tmp_path):
    folder = tmp_path / "dsg"
    first = _write(folder, "a.csv", MONITORING_HEADER + "2023-24,P6,high_needs,1,2\n2023-24,P99,schools,1,1\n")
    connection = duckdb.connect()
    load_returns_folder(connection, DSG, folder)
    # an extract's quarantine rows are not DSG rows: they stay
    connection.execute(
        "insert into raw.quarantine values ('ehc_requests:x', 'ehc_requests', 'f', 2, 'c', 'r', null, now())"
    )

    first.unlink()
    _write(folder, "b.csv", MONITORING_HEADER + "2023-24,P7,high_needs,1,3\n")
    load_returns_folder(connection, DSG, folder)
    assert _rows(connection, "select period from raw.dsg_monitoring") == [("P7",)]
    assert _rows(connection, "select extract from raw.quarantine") == [("ehc_requests",)]

    assert load_returns_folder(connection, DSG, tmp_path / "absent") == []
    assert _rows(connection, "select count(*) from raw.dsg_monitoring") == [(0,)]
    assert _rows(connection, "select count(*) from raw.dsg_balances") == [(0,)]


# --- settings -------------------------------------------------------------------------------------


def test_the_repository_settings_hold_the_seed_scenario_and_pass_it_to_dbt():
    settings = load_settings()
    assert settings.dsg.statutory_override_end.isoformat() == "2028-03-31"
    scenarios = {scenario.name: scenario for scenario in settings.dsg.scenarios}
    assert scenarios["seed_004_stated_assumptions"].stated == {
        "2024-25": {"high_needs_shortfall_gbp_k": 10000.0, "other_blocks_gbp_k": -500.0}
    }
    variables = dbt_vars(settings)
    assert variables["dsg_statutory_override_end"] == "2028-03-31"
    seed = next(item for item in variables["dsg_scenarios"] if item["name"] == "seed_004_stated_assumptions")
    assert seed["stated"] == [
        {"financial_year": "2024-25", "high_needs_shortfall_gbp_k": 10000.0, "other_blocks_gbp_k": -500.0}
    ]


def test_environment_overrides_the_override_end(tmp_path, monkeypatch):
    monkeypatch.setenv("SENDKPI_DSG_STATUTORY_OVERRIDE_END", "2026-03-31")
    assert load_settings(tmp_path / "absent.toml").dsg.statutory_override_end.isoformat() == "2026-03-31"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[dsg]\nstatutory_override_end = "someday"', "statutory_override_end"),
        ('[dsg]\nstatutory_override_end = "2028-04-30"', "31 March"),
        ("[dsg]\nprojection_years = 0", "projection_years"),
        ("[dsg.scenarios.current_forecast]\nsavings_gbp_k = 1", "built in"),
        ('[dsg.scenarios.x]\nhigh_needs_demand_growth_pct = "six"', "high_needs_demand_growth_pct"),
        ("[dsg.scenarios.x]\ngrowth = 1", "unknown keys growth"),
        ('[dsg.scenarios.x]\nstated = { "2024-26" = { other_blocks_gbp_k = 1 } }', "2024-26"),
        ('[dsg.scenarios.x]\nstated = { "2024-25" = { shortfall = 1 } }', "high_needs_shortfall_gbp_k"),
    ],
)
def test_bad_dsg_settings_are_refused_with_a_clear_message(tmp_path, monkeypatch, toml, message):
    monkeypatch.delenv("SENDKPI_DSG_STATUTORY_OVERRIDE_END", raising=False)
    monkeypatch.delenv("SENDKPI_DSG_PROJECTION_YEARS", raising=False)
    config = tmp_path / "sendkpi.toml"
    config.write_text(toml + "\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=message):
        load_settings(config)


# --- Dagster --------------------------------------------------------------------------------------


def test_the_dsg_returns_are_finance_assets_feeding_the_dbt_sources():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    for table in ("dsg_monitoring", "dsg_balances"):
        key = dg.AssetKey(["raw", table])
        assert graph.get(key).group_name == "finance"
        assert key in graph.get(dg.AssetKey(["staging", f"stg_{table}"])).parent_keys
    assert (
        dg.AssetKey(["marts", "dsg_deficit_projection"]) in graph.get(dg.AssetKey(["published", "marts"])).parent_keys
    )


# --- the marts, through the real pipeline on the synthetic sample (seed 004) -----------------------


@pytest.fixture(scope="module")
def projection(demo_run) -> pd.DataFrame:
    return pd.read_parquet(demo_run.marts_dir / "dsg_deficit_projection.parquet").sort_values(
        ["scenario", "financial_year"]
    )


@pytest.fixture(scope="module")
def monitoring(demo_run) -> pd.DataFrame:
    return pd.read_parquet(demo_run.marts_dir / "dsg_monitoring.parquet")


def test_seed_004_stated_assumptions_reproduce_28_4m_and_37_9m(projection):
    seed = projection[projection["scenario"] == "seed_004_stated_assumptions"].set_index("financial_year")
    assert seed.at["2023-24", "opening_deficit"] == 20300
    assert seed.at["2023-24", "high_needs_shortfall"] == 8144
    assert round(seed.at["2023-24", "closing_deficit"] / 1000, 1) == 28.4
    assert str(seed.at["2023-24", "year_end"])[:10] == "2024-03-31"
    assert seed.at["2024-25", "high_needs_shortfall"] == 10000
    assert seed.at["2024-25", "other_blocks_movement"] == -500
    assert round(seed.at["2024-25", "closing_deficit"] / 1000, 1) == 37.9
    assert str(seed.at["2024-25", "year_end"])[:10] == "2025-03-31"
    assert "monitoring 2023-24 P6" in seed.at["2023-24", "basis"]
    assert "stated" in seed.at["2024-25", "basis"]


def test_monitoring_shows_the_seed_period_6_variance_and_total(monitoring):
    p6 = monitoring[(monitoring["financial_year"] == "2023-24") & (monitoring["period"] == "P6")].set_index("block")
    assert p6.at["high_needs", "variance"] == 8144
    assert round(p6.at["high_needs", "variance_pct"], 1) == 10.9
    assert (p6.at["total", "budget"], p6.at["total", "forecast_outturn"]) == (244025, 252169)
    assert set(monitoring["period"]) == {f"P{n}" for n in range(1, 7)}


def test_only_the_year_ending_at_the_override_end_is_flagged(projection):
    flagged = projection[projection["is_override_end_year"]]
    assert set(flagged["financial_year"]) == {"2027-28"}
    assert len(flagged) == projection["scenario"].nunique() == 3
    # latest monitored 2023-24 + 4 projection years = 2027-28, the override's end as well
    assert projection.groupby("scenario")["financial_year"].max().eq("2027-28").all()


def test_current_forecast_rolls_the_latest_period_forward(projection, monitoring):
    p6 = monitoring[(monitoring["financial_year"] == "2023-24") & (monitoring["period"] == "P6")]
    shortfall = p6.loc[p6["block"] == "high_needs", "variance"].sum()
    other = p6.loc[~p6["block"].isin(["high_needs", "total"]), "variance"].sum()
    current = projection[projection["scenario"] == "current_forecast"].reset_index(drop=True)
    closing = 20300.0
    for row in current.itertuples():
        assert row.opening_deficit == pytest.approx(closing)
        assert row.high_needs_shortfall == pytest.approx(shortfall)
        assert row.other_blocks_movement == pytest.approx(other)
        closing += shortfall + other
        assert row.closing_deficit == pytest.approx(closing)
    # allocation: the balances' figures, then the last known held flat
    assert current["dsg_allocation"].tolist() == [244025, 250623, 250623, 250623, 250623]
    assert current["closing_deficit_pct_of_allocation"].iloc[-1] == pytest.approx(round(closing / 250623 * 100, 2))


def test_growth_scenario_grows_allocation_and_demand(projection):
    growth = projection[projection["scenario"] == "allocation_4_3_demand_6"].set_index("financial_year")
    allocation = 74692 * 1.043
    spend = 82836 * 1.06
    assert growth.at["2024-25", "high_needs_allocation"] == pytest.approx(allocation)  # 77.9m, as DfE indicated
    assert growth.at["2024-25", "high_needs_shortfall"] == pytest.approx(spend - allocation)
    assert growth.at["2024-25", "other_blocks_movement"] == 0
    assert growth.at["2025-26", "high_needs_shortfall"] == pytest.approx(spend * 1.06 - allocation * 1.043)
    assert growth.at["2025-26", "dsg_allocation"] == pytest.approx(250623 * 1.043)
    assert "allocation +4.3%, demand +6.0%, savings 0" in growth.at["2025-26", "basis"]


def test_a_new_dsg_file_makes_the_sensor_start_a_run_over_every_quarter(tmp_path):
    from pipelines.partitions import RANGE_END_TAG, RANGE_START_TAG, quarters_to_date
    from pipelines.sensors import new_extract_files
    from tests.conftest import environment

    with environment(SENDKPI_DATA_DIR=str(tmp_path)):
        context = dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral())
        assert isinstance(new_extract_files(context), dg.SkipReason)
        _write(
            tmp_path / "raw" / "dsg", "dsg_monitoring_2023-24_P07.csv", MONITORING_HEADER + "2023-24,P7,schools,1,1\n"
        )
        context = dg.build_sensor_context(cursor=context.cursor, instance=dg.DagsterInstance.ephemeral())
        request = new_extract_files(context)
    keys = quarters_to_date()
    assert (request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]) == (keys[0], keys[-1])
