"""Settings for the scrutiny pack's comparators, trends and DSG thresholds, how they reach
dbt, the progress lines of `sendkpi materialise` and when the dbt manifest is re-parsed (fast
lane: no pipeline run)."""

from __future__ import annotations

import pytest

from pipelines.dbt_vars import dbt_vars
from pipelines.settings import ComparatorGroup, SettingsError, load_settings
from tests.conftest import environment


def _write(tmp_path, text: str):
    config = tmp_path / "sendkpi.toml"
    config.write_text(text, encoding="utf-8")
    return config


def test_comparator_groups_from_the_config_file_reach_dbt_one_row_per_member(tmp_path):
    config = _write(
        tmp_path,
        '[comparator_groups]\nconsortium = ["885", " E10000031 ", "885"]\npanel = ["886"]\n',
    )
    settings = load_settings(config)
    assert settings.comparator_groups == (
        ComparatorGroup("consortium", ("885", "E10000031")),  # trimmed, the repeat dropped
        ComparatorGroup("panel", ("886",)),
    )
    assert dbt_vars(settings)["comparator_groups"] == [
        {"group_name": "consortium", "member_code": "885"},
        {"group_name": "consortium", "member_code": "E10000031"},
        {"group_name": "panel", "member_code": "886"},
    ]


def test_the_environment_replaces_the_config_files_groups(tmp_path):
    config = _write(tmp_path, '[comparator_groups]\nconsortium = ["885"]\n')
    with environment(SENDKPI_COMPARATOR_GROUPS="west=886, 887 ;east=E10000031"):
        settings = load_settings(config)
    assert settings.comparator_groups == (
        ComparatorGroup("west", ("886", "887")),
        ComparatorGroup("east", ("E10000031",)),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[comparator_groups]\n"West Mids" = ["885"]\n', "snake_case"),
        ("[comparator_groups]\nconsortium = []\n", "must be a list of LA codes"),
        ('[comparator_groups]\nconsortium = "885"\n', "must be a list of LA codes"),
        ("[comparator_groups]\nconsortium = [885]\n", "must be a list of LA codes"),
        ('[comparator_groups]\nconsortium = ["885; drop table"]\n', "must be a list of LA codes"),
    ],
)
def test_badly_written_groups_are_refused_naming_the_group(tmp_path, text, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(_write(tmp_path, text))


def test_an_environment_group_without_codes_is_refused(tmp_path):
    with environment(SENDKPI_COMPARATOR_GROUPS="consortium"), pytest.raises(SettingsError, match="name=code"):
        load_settings(tmp_path / "absent.toml")


def test_trend_settings_and_their_floor(tmp_path):
    settings = load_settings(_write(tmp_path, "trend_quarters = 12\ntrend_horizon_quarters = 8\n"))
    assert (settings.trend_quarters, settings.trend_horizon_quarters) == (12, 8)
    assert {key: dbt_vars(settings)[key] for key in ("trend_quarters", "trend_horizon_quarters")} == {
        "trend_quarters": 12,
        "trend_horizon_quarters": 8,
    }
    # Two points fit a line exactly and leave no error to estimate: refused.
    with pytest.raises(SettingsError, match="at least 3"):
        load_settings(_write(tmp_path, "trend_quarters = 2\n"))
    with environment(SENDKPI_TREND_HORIZON_QUARTERS="0"), pytest.raises(SettingsError, match="at least 1"):
        load_settings(tmp_path / "absent.toml")


def test_deficit_thresholds_reach_dbt_only_when_set(tmp_path):
    unset = load_settings(tmp_path / "absent.toml")
    assert dbt_vars(unset)["dsg_deficit_thresholds"] == []
    config = _write(tmp_path, "[dsg]\ndeficit_threshold_gbp_k = 40000\n")
    with environment(SENDKPI_DSG_DEFICIT_THRESHOLD_PCT_OF_ALLOCATION="12.5"):
        settings = load_settings(config)
    assert dbt_vars(settings)["dsg_deficit_thresholds"] == [
        {"measure": "closing_deficit", "threshold": 40000.0},
        {"measure": "closing_deficit_pct_of_allocation", "threshold": 12.5},
    ]


@pytest.mark.parametrize("value", ["0", "-5", "lots"])
def test_a_threshold_must_be_a_positive_number(tmp_path, value):
    with (
        environment(SENDKPI_DSG_DEFICIT_THRESHOLD_GBP_K=value),
        pytest.raises(SettingsError, match="deficit_threshold_gbp_k must be a positive number"),
    ):
        load_settings(tmp_path / "absent.toml")


def test_the_repository_settings_set_no_group_so_a_real_authority_never_meets_sample_codes():
    settings = load_settings()
    assert settings.comparator_groups == ()


def test_progress_lines_name_the_step_and_its_time():
    from pipelines.progress import step_progress_line

    assert step_progress_line("STEP_START", "local_extracts", None) == "  started   local_extracts"
    assert step_progress_line("STEP_SUCCESS", "local_extracts", 5.42) == "  finished  local_extracts (5.4 s)"
    assert step_progress_line("STEP_FAILURE", "sendkpi_dbt_models", 1.0) == "  FAILED    sendkpi_dbt_models"
    assert step_progress_line("STEP_OUTPUT", "local_extracts", 1.0) is None


def test_the_dbt_manifest_is_stale_when_missing_or_older_than_any_project_file(tmp_path):
    """Loading the pipeline parses nothing; `make install` / `sendkpi prepare` parse when this says so."""
    import os

    from pipelines.dbt_project import manifest_is_stale

    project = tmp_path / "dbt_project"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text("name: x\n")
    model = project / "models" / "a.sql"
    model.write_text("select 1\n")
    manifest = project / "target" / "manifest.json"
    assert manifest_is_stale(project, manifest)  # missing
    manifest.parent.mkdir()
    manifest.write_text("{}")
    os.utime(model, (1_000_000, 1_000_000))
    os.utime(project / "dbt_project.yml", (1_000_000, 1_000_000))
    assert not manifest_is_stale(project, manifest)
    os.utime(model, None)  # edited after the parse
    os.utime(manifest, (2_000_000, 2_000_000))
    assert manifest_is_stale(project, manifest)
