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
