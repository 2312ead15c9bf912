"""Settings (sendkpi.toml + SENDKPI_* overrides), financial quarters, and the dbt vars."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from pipelines.dbt_vars import dbt_vars
from pipelines.periods import FinancialQuarter
from pipelines.settings import CONFIG_FILE, PROJECT_ROOT, Settings, SettingsError, load_settings
from tests.conftest import environment

SETTING_VARIABLES = [
    "SENDKPI_HOME_LA",
    "SENDKPI_DATA_DIR",
    "SENDKPI_BENCHMARKS_DIR",
    "SENDKPI_SN_MODEL",
    "SENDKPI_SMALL_COUNT_THRESHOLD",
    "SENDKPI_PSEUDONYMISATION_KEY_FILE",
    "SENDKPI_PSEUDONYMISATION_KEY",
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in SETTING_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def write_config(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sendkpi.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- settings ---------------------------------------------------------------------------------


def test_defaults_from_the_repository_sendkpi_toml():
    settings = load_settings()

    assert CONFIG_FILE == PROJECT_ROOT / "sendkpi.toml"
    assert settings.home_la == "990"
    assert settings.data_dir == PROJECT_ROOT / "data"
    assert settings.benchmarks_dir == PROJECT_ROOT / "data" / "sample_benchmarks"
    assert settings.uses_sample_benchmarks
    assert settings.sn_model == "2025"
    assert settings.small_count_threshold == 5
    assert settings.pseudonymisation_key is None


def test_values_from_a_config_file_with_paths_relative_to_its_folder(tmp_path):
    config = write_config(
        tmp_path / "conf",
        (
            'home_la = "885"\n'
            'data_dir = "lake"\n'
            'benchmarks_dir = "../dfe files"\n'
            'sn_model = "2021"\n'
            "small_count_threshold = 10\n"
        ),
    )

    settings = load_settings(config)

    assert settings.home_la == "885"
    assert settings.data_dir == tmp_path / "conf" / "lake"
    assert settings.data_dir.is_absolute()
    assert settings.benchmarks_dir == tmp_path / "dfe files"  # '..' resolved away
    assert not settings.uses_sample_benchmarks
    assert settings.sn_model == "2021"
    assert settings.small_count_threshold == 10
    assert settings.raw_dir == tmp_path / "conf" / "lake" / "raw"
    assert settings.marts_dir == tmp_path / "conf" / "lake" / "marts"
    assert settings.warehouse_path == tmp_path / "conf" / "lake" / "warehouse.duckdb"
    assert settings.build_warehouse_path == tmp_path / "conf" / "lake" / "build" / "warehouse_build.duckdb"


def test_missing_config_file_means_built_in_defaults(tmp_path):
    settings = load_settings(tmp_path / "absent.toml")

    assert (settings.home_la, settings.sn_model, settings.small_count_threshold) == ("990", "2025", 5)
    assert settings.data_dir == tmp_path / "data"
    assert settings.benchmarks_dir == tmp_path / "data" / "sample_benchmarks"
    assert settings.pseudonymisation_key is None


def test_environment_overrides_the_config_file(tmp_path, monkeypatch):
    config = write_config(tmp_path / "conf", 'home_la = "885"\ndata_dir = "lake"\nsmall_count_threshold = 10\n')
    monkeypatch.setenv("SENDKPI_HOME_LA", "E06000047")
    monkeypatch.setenv("SENDKPI_DATA_DIR", "elsewhere")
    monkeypatch.setenv("SENDKPI_BENCHMARKS_DIR", str(tmp_path / "bench"))
    monkeypatch.setenv("SENDKPI_SN_MODEL", "2021")
    monkeypatch.setenv("SENDKPI_SMALL_COUNT_THRESHOLD", "7")

    settings = load_settings(config)

    assert settings.home_la == "E06000047"
    # relative paths, wherever they come from, are resolved against the config file's folder
    assert settings.data_dir == tmp_path / "conf" / "elsewhere"
    assert settings.benchmarks_dir == tmp_path / "bench"
    assert settings.sn_model == "2021"
    assert settings.small_count_threshold == 7


def test_empty_environment_value_does_not_override(tmp_path, monkeypatch):
    config = write_config(tmp_path, 'home_la = "885"\n')
    monkeypatch.setenv("SENDKPI_HOME_LA", "")

    assert load_settings(config).home_la == "885"


def test_benchmarks_dir_defaults_to_data_dir_sample_benchmarks(tmp_path, monkeypatch):
    config = write_config(tmp_path, 'benchmarks_dir = ""\n')
    monkeypatch.setenv("SENDKPI_DATA_DIR", str(tmp_path / "d"))

    settings = load_settings(config)

    assert settings.benchmarks_dir == tmp_path / "d" / "sample_benchmarks"
    assert settings.uses_sample_benchmarks


def test_home_dir_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SENDKPI_DATA_DIR", "~/send")

    assert load_settings(tmp_path / "absent.toml").data_dir == tmp_path / "home" / "send"


@pytest.mark.parametrize("value", ["five", "5.5", "1e3", "  "])
def test_invalid_threshold_from_the_environment(tmp_path, monkeypatch, value):
    monkeypatch.setenv("SENDKPI_SMALL_COUNT_THRESHOLD", value)

    with pytest.raises(SettingsError, match="small_count_threshold must be a whole number"):
        load_settings(tmp_path / "absent.toml")


def test_invalid_threshold_in_the_config_file(tmp_path):
    config = write_config(tmp_path, 'small_count_threshold = "five"\n')

    with pytest.raises(SettingsError, match="small_count_threshold"):
        load_settings(config)


def test_fractional_threshold_in_the_config_file_is_refused(tmp_path):
    config = write_config(tmp_path, "small_count_threshold = 5.5\n")

    with pytest.raises(SettingsError, match="small_count_threshold"):
        load_settings(config)


def test_empty_home_la_is_refused(tmp_path):
    config = write_config(tmp_path, 'home_la = "   "\n')

    with pytest.raises(SettingsError, match="home_la is empty"):
        load_settings(config)


def test_key_read_from_a_key_file(tmp_path, monkeypatch):
    key_file = tmp_path / "secrets" / "sendkpi.key"
    key_file.parent.mkdir()
    key_file.write_text("  s3cret-key-from-file\n", encoding="utf-8")
    monkeypatch.setenv("SENDKPI_PSEUDONYMISATION_KEY_FILE", str(key_file))

    assert load_settings(tmp_path / "absent.toml").pseudonymisation_key == "s3cret-key-from-file"


def test_relative_key_file_in_the_config_is_resolved_against_its_folder(tmp_path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "key.txt").write_text("relative-key", encoding="utf-8")
    config = write_config(tmp_path / "conf", 'pseudonymisation_key_file = "../key.txt"\n')

    assert load_settings(config).pseudonymisation_key == "relative-key"


def test_missing_key_file_is_an_error_naming_it(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere" / "sendkpi.key"
    monkeypatch.setenv("SENDKPI_PSEUDONYMISATION_KEY_FILE", str(missing))

    with pytest.raises(SettingsError) as raised:
        load_settings(tmp_path / "absent.toml")

    assert str(raised.value) == f"pseudonymisation_key_file {missing} does not exist"


def test_empty_key_file_is_an_error(tmp_path, monkeypatch):
    key_file = tmp_path / "empty.key"
    key_file.write_text("\n", encoding="utf-8")
    monkeypatch.setenv("SENDKPI_PSEUDONYMISATION_KEY_FILE", str(key_file))

    with pytest.raises(SettingsError, match="is empty"):
        load_settings(tmp_path / "absent.toml")


def test_key_variable_wins_over_the_key_file(tmp_path, monkeypatch):
    key_file = tmp_path / "file.key"
    key_file.write_text("from-file", encoding="utf-8")
    monkeypatch.setenv("SENDKPI_PSEUDONYMISATION_KEY_FILE", str(key_file))
    monkeypatch.setenv("SENDKPI_PSEUDONYMISATION_KEY", "from-variable")

    assert load_settings(tmp_path / "absent.toml").pseudonymisation_key == "from-variable"


# --- financial quarters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ehc_requests_2023-24_Q2.csv", FinancialQuarter(2023, 2)),
        ("x 2023-24 Q4 final.xlsx", FinancialQuarter(2023, 4)),
        ("advice 2023-24_Q2 final.xlsx", FinancialQuarter(2023, 2)),
        ("ehc_requests_synthetic_2024-25_q1.csv", FinancialQuarter(2024, 1)),
        ("requests 2023-24-Q3.csv", FinancialQuarter(2023, 3)),
        ("requests 2023-24Q3.csv", FinancialQuarter(2023, 3)),
        ("extract_1999-00_Q4.csv", FinancialQuarter(1999, 4)),
    ],
)
def test_quarter_found_in_file_names(text, expected):
    assert FinancialQuarter.find_in(text) == expected
    assert FinancialQuarter.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "ehc_requests_2023-25_Q2.csv",  # years not consecutive
        "ehc_requests_2023-22_Q2.csv",
        "ehc_requests_2023-24_Q5.csv",  # no fifth quarter
        "ehc_requests_2023-24_Q0.csv",
        "ehc_requests_2023-24_Q23.csv",  # a longer number is not a quarter
        "ehc_requests_12023-24_Q2.csv",  # nor a longer year
        "ehc_requests_2023-24.csv",
        "ehc_requests_Q2.csv",
        "ehc_requests.csv",
    ],
)
def test_names_without_a_valid_quarter(text):
    assert FinancialQuarter.find_in(text) is None
    with pytest.raises(ValueError, match="is not a financial quarter like 2023-24_Q2"):
        FinancialQuarter.parse(text)


@pytest.mark.parametrize(
    ("quarter", "first", "last"),
    [
        (1, date(2023, 4, 1), date(2023, 6, 30)),
        (2, date(2023, 7, 1), date(2023, 9, 30)),
        (3, date(2023, 10, 1), date(2023, 12, 31)),
        (4, date(2024, 1, 1), date(2024, 3, 31)),
    ],
)
def test_first_and_last_days_of_each_quarter(quarter, first, last):
    q = FinancialQuarter(2023, quarter)

    assert (q.first_day, q.last_day) == (first, last)
    assert q.label == f"2023-24_Q{quarter}"
    assert q.mart_label == f"2023-24 Q{quarter}"


def test_q4_of_a_leap_year_and_a_century_label():
    assert FinancialQuarter(2019, 4).last_day == date(2020, 3, 31)
    assert FinancialQuarter(2099, 4).label == "2099-00_Q4"
    assert FinancialQuarter(2099, 4).last_day == date(2100, 3, 31)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2024, 3, 31), FinancialQuarter(2023, 4)),
        (date(2024, 4, 1), FinancialQuarter(2024, 1)),
        (date(2024, 1, 1), FinancialQuarter(2023, 4)),
        (date(2023, 12, 31), FinancialQuarter(2023, 3)),
        (date(2023, 6, 30), FinancialQuarter(2023, 1)),
        (date(2023, 7, 1), FinancialQuarter(2023, 2)),
        (date(2023, 9, 30), FinancialQuarter(2023, 2)),
        (date(2023, 10, 1), FinancialQuarter(2023, 3)),
        (date(2024, 2, 29), FinancialQuarter(2023, 4)),
    ],
)
def test_quarter_containing_a_day(day, expected):
    found = FinancialQuarter.containing(day)

    assert found == expected
    assert found.first_day <= day <= found.last_day


def test_next_quarter_rolls_over_the_financial_year():
    assert FinancialQuarter(2023, 1).next() == FinancialQuarter(2023, 2)
    assert FinancialQuarter(2023, 3).next() == FinancialQuarter(2023, 4)
    assert FinancialQuarter(2023, 4).next() == FinancialQuarter(2024, 1)
    assert FinancialQuarter(2023, 4).next().label == "2024-25_Q1"


def test_quarters_sort_in_time_order():
    labels = ["2024-25_Q1", "2023-24_Q4", "2023-24_Q2", "2023-24_Q3"]

    assert [q.label for q in sorted(FinancialQuarter.parse(x) for x in labels)] == [
        "2023-24_Q2",
        "2023-24_Q3",
        "2023-24_Q4",
        "2024-25_Q1",
    ]


def test_consecutive_quarters_leave_no_gap():
    quarter = FinancialQuarter(2022, 1)
    for _ in range(8):
        following = quarter.next()
        assert following.first_day.toordinal() == quarter.last_day.toordinal() + 1
        quarter = following


# --- dbt vars -----------------------------------------------------------------------------------


def test_dbt_vars_come_from_the_settings(tmp_path):
    settings = Settings(
        home_la="E06000047",
        data_dir=tmp_path,
        benchmarks_dir=tmp_path / "b",
        sn_model="2021",
        small_count_threshold=7,
        pseudonymisation_key="secret",
    )

    assert dbt_vars(settings) == {
        "home_la": "E06000047",
        "sn_model": "2021",
        "small_count_threshold": 7,
        "trend_quarters": 8,
        "trend_horizon_quarters": 20,
        "comparator_groups": [],
        # the [dsg] defaults: no scenario but the built-in current_forecast (tests/test_dsg.py)
        "dsg_statutory_override_end": "2028-03-31",
        "dsg_projection_years": 4,
        "dsg_scenarios": [],
        "dsg_deficit_thresholds": [],
    }


def test_dbt_vars_follow_environment_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("SENDKPI_HOME_LA", "885")
    monkeypatch.setenv("SENDKPI_SMALL_COUNT_THRESHOLD", "10")
    monkeypatch.setenv("SENDKPI_PSEUDONYMISATION_KEY", "never-a-dbt-var")

    result = dbt_vars(load_settings(tmp_path / "absent.toml"))

    assert {key: result[key] for key in ("home_la", "sn_model", "small_count_threshold")} == {
        "home_la": "885",
        "sn_model": "2025",
        "small_count_threshold": 10,
    }
    assert "never-a-dbt-var" not in map(str, result.values())


def test_duckdb_memory_limit_and_threads_reach_the_loader_and_dbt(tmp_path):
    from pipelines.dbt_vars import dbt_environment
    from pipelines.resources import WarehouseResource

    with environment(SENDKPI_DATA_DIR=str(tmp_path), SENDKPI_DUCKDB_MEMORY_LIMIT="300MB", SENDKPI_DUCKDB_THREADS="1"):
        settings = load_settings()
        with WarehouseResource().build_connection() as connection:
            limit, threads, spill = connection.execute(
                "select current_setting('memory_limit'), current_setting('threads'), current_setting('temp_directory')"
            ).fetchone()
    assert (settings.duckdb_memory_limit, settings.duckdb_threads) == ("300MB", 1)
    assert limit.replace(" ", "").lower() in ("286.1mib", "300.0mb", "300mb") and threads == 1
    assert Path(spill) == settings.duckdb_spill_dir.resolve()
    environment_for_dbt = dbt_environment(settings)
    assert environment_for_dbt["SENDKPI_DUCKDB_MEMORY_LIMIT"] == "300MB"
    assert environment_for_dbt["SENDKPI_DUCKDB_THREADS"] == "1"
    profile = (Path(__file__).resolve().parents[1] / "dbt_project" / "profiles.yml").read_text()
    for variable in ("SENDKPI_DUCKDB_MEMORY_LIMIT", "SENDKPI_DUCKDB_THREADS", "SENDKPI_DUCKDB_SPILL_DIR"):
        assert f"env_var('{variable}'" in profile


@pytest.mark.parametrize(("name", "value"), [("SENDKPI_DUCKDB_MEMORY_LIMIT", "lots"), ("SENDKPI_DUCKDB_THREADS", "0")])
def test_bad_duckdb_limits_are_refused(name, value):
    with environment(**{name: value}), pytest.raises(SettingsError):
        load_settings()


# --- settings as the warehouse resource's typed fields ----------------------------------------


def test_every_setting_but_the_key_file_is_a_typed_described_resource_field():
    from pipelines.resources import DsgConfig, WarehouseResource
    from pipelines.settings import _DEFAULTS, RUN_SECTIONS, _dsg_from_environment

    fields = WarehouseResource.model_fields
    assert set(fields) == set(_DEFAULTS) - {"pseudonymisation_key_file"} | set(RUN_SECTIONS)
    assert all(field.description and field.default is None for field in fields.values())
    # Every [dsg] key with an environment variable can be set for a run too.
    with environment(**{f"SENDKPI_DSG_{key.upper()}": "1" for key in DsgConfig.model_fields}):
        assert set(_dsg_from_environment()) <= set(DsgConfig.model_fields)


def test_a_run_sets_comparator_groups_and_dsg_over_file_and_environment_checked_the_same(tmp_path):
    from pipelines.resources import DsgConfig, DsgScenarioConfig, WarehouseResource

    config = tmp_path / "sendkpi.toml"
    config.write_text(
        f'data_dir = "{tmp_path}"\n[comparator_groups]\nfile_group = ["885"]\n'
        "[dsg]\nprojection_years = 3\ndeficit_threshold_gbp_k = 900\n"
        "[dsg.scenarios.from_file]\nsavings_gbp_k = 10\n"
    )
    scenario = DsgScenarioConfig(high_needs_demand_growth_pct=6.5, stated={"2025-26": {"other_blocks_gbp_k": -250.0}})
    run = WarehouseResource(
        comparator_groups={"run_panel": ["886", "E10000034"]},
        dsg=DsgConfig(projection_years=6, scenarios={"run_scenario": scenario}),
    )
    with environment(SENDKPI_CONFIG=str(config), SENDKPI_DSG_PROJECTION_YEARS="5"):
        file_and_environment = WarehouseResource().settings()
        assert [group.name for group in file_and_environment.comparator_groups] == ["file_group"]
        assert file_and_environment.dsg.projection_years == 5
        settings = run.settings()
    assert [(group.name, group.members) for group in settings.comparator_groups] == [
        ("run_panel", ("886", "E10000034"))
    ]
    # The run's keys win; the keys it leaves empty keep the file's (the threshold).
    assert settings.dsg.projection_years == 6 and settings.dsg.deficit_threshold_gbp_k == 900
    assert [(s.name, s.high_needs_demand_growth_pct, s.stated) for s in settings.dsg.scenarios] == [
        ("run_scenario", 6.5, {"2025-26": {"other_blocks_gbp_k": -250.0}})
    ]
    with environment(SENDKPI_CONFIG=str(config)):
        with pytest.raises(SettingsError, match="financial year end"):
            WarehouseResource(dsg=DsgConfig(statutory_override_end="2028-04-30")).settings()
        with pytest.raises(SettingsError, match="snake_case"):
            WarehouseResource(comparator_groups={"Bad Name": ["885"]}).settings()
        with pytest.raises(SettingsError, match="financial year like"):
            WarehouseResource(dsg=DsgConfig(scenarios={"s": DsgScenarioConfig(stated={"2025": {}})})).settings()


def test_a_resource_field_overrides_file_and_environment_for_its_run_by_the_same_rules(tmp_path):
    from pipelines.resources import WarehouseResource

    with environment(SENDKPI_DATA_DIR=str(tmp_path), SENDKPI_HOME_LA="990", SENDKPI_SMALL_COUNT_THRESHOLD="6"):
        settings = WarehouseResource(home_la="885", trend_quarters=4).settings()
        assert (settings.home_la, settings.trend_quarters) == ("885", 4)
        assert settings.small_count_threshold == 6 and settings.data_dir == tmp_path.resolve()
        assert WarehouseResource().settings().home_la == "990"
        with pytest.raises(SettingsError, match="below the minimum"):
            WarehouseResource(small_count_threshold=3).settings()


def test_dagster_sees_the_settings_in_run_config_and_resolves_an_env_var(tmp_path):
    from pipelines.definitions import defs
    from pipelines.resources import WarehouseResource

    job = defs.resolve_job_def("refresh_all")
    valid = dg.validate_run_config(job, {"resources": {"warehouse": {"config": {"home_la": "885"}}}})
    assert valid["resources"]["warehouse"]["config"]["home_la"] == "885"
    with pytest.raises(dg.DagsterInvalidConfigError):
        dg.validate_run_config(job, {"resources": {"warehouse": {"config": {"small_count_threshold": "five"}}}})
    groups = {"comparator_groups": {"panel": ["885", "886"]}, "dsg": {"scenarios": {"high": {"savings_gbp_k": 50}}}}
    valid = dg.validate_run_config(job, {"resources": {"warehouse": {"config": groups}}})
    assert valid["resources"]["warehouse"]["config"]["comparator_groups"] == {"panel": ["885", "886"]}
    assert valid["resources"]["warehouse"]["config"]["dsg"]["scenarios"]["high"]["savings_gbp_k"] == 50
    with pytest.raises(dg.DagsterInvalidConfigError):
        dg.validate_run_config(job, {"resources": {"warehouse": {"config": {"dsg": {"projection_years": "six"}}}}})
    with environment(SENDKPI_DATA_DIR=str(tmp_path), COUNCIL_LA_CODE="885"):
        warehouse = WarehouseResource(home_la=dg.EnvVar("COUNCIL_LA_CODE"))
        with dg.build_resources({"warehouse": warehouse}) as resources:
            assert resources.warehouse.settings().home_la == "885"
