"""The dbt resource skips dagster-dbt's `dbt --version` subprocess and in-process adapter
(every end-to-end test runs dbt through it)."""

import subprocess

from dagster_dbt import DbtCliResource

from pipelines.dbt_project import SendKpiDbtCliResource, dbt_cli_resource, dbt_executable


def test_the_replaced_steps_are_still_dagster_dbts_own():
    # The saving rests on overriding these two members: a dagster-dbt release that renames
    # them would silently bring the ~6 s back, so this fails first.
    for name in ("_cli_version", "_initialize_dbt_core_adapter"):
        assert name in vars(DbtCliResource), f"dagster-dbt no longer has DbtCliResource.{name}"
        assert name in vars(SendKpiDbtCliResource)


def test_the_dbt_version_is_the_one_the_dbt_command_reports():
    reported = subprocess.run([dbt_executable(), "--version"], capture_output=True, text=True, check=True).stdout
    version = dbt_cli_resource()._cli_version
    assert f"installed: {version}" in reported, reported
    # dagster-dbt chooses between dbt Core and the Fusion engine by the major version.
    assert version.major == 1


def test_old_dbt_run_folders_are_pruned_keeping_the_newest_and_any_still_young(tmp_path):
    """Each run's dbt folder (~20 MB) would otherwise pile up under a service left running."""
    import os

    from pipelines.dbt_project import RUN_FOLDER_MIN_AGE_SECONDS, RUN_FOLDERS_KEPT, prune_run_folders

    now = 1_000_000_000.0
    hour = RUN_FOLDER_MIN_AGE_SECONDS

    def folder(name: str, age_seconds: float):
        path = tmp_path / name
        (path / "compiled").mkdir(parents=True)
        (path / "dbt.log").write_text("dbt's log")
        os.utime(path, (now - age_seconds, now - age_seconds))
        return path

    # Runs a day apart, newest first; a run that started within the hour; then what the
    # pruning must not touch (another op's folder, dbt's own files in target/).
    runs = [folder(f"sendkpi_dbt_models-run{day:04d}-abcdefg", age_seconds=day * 24 * hour) for day in range(8)]
    still_going = folder("sendkpi_dbt_models-busy000-abcdefg", age_seconds=hour - 1)
    other_op = folder("another_op-run0000-abcdefg", age_seconds=30 * 24 * hour)
    (tmp_path / "manifest.json").write_text("{}")

    removed = prune_run_folders(tmp_path, "sendkpi_dbt_models", now=now)

    # The newest five are run 0, still_going and runs 1-3: runs 4-7 are beyond them and old.
    assert RUN_FOLDERS_KEPT == 5
    assert sorted(removed) == sorted(runs[4:])
    assert all(path.exists() for path in [*runs[:4], still_going, other_op, tmp_path / "manifest.json"])
    assert not any(path.exists() for path in runs[4:])


def test_a_young_folder_beyond_the_newest_five_is_left_for_its_run(tmp_path):
    import os

    from pipelines.dbt_project import prune_run_folders

    now = 1_000_000_000.0
    for number in range(7):  # seven runs within the last hour (tests run dbt side by side)
        path = tmp_path / f"sendkpi_dbt_models-run{number:04d}-abcdefg"
        path.mkdir()
        os.utime(path, (now - number * 60, now - number * 60))
    assert prune_run_folders(tmp_path, "sendkpi_dbt_models", now=now) == []
    assert len(list(tmp_path.iterdir())) == 7
