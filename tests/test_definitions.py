"""The Dagster code location loads as `dagster dev` would load it."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipelines.definitions import defs

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_dagster_definitions_validate_accepts_the_code_location():
    dagster = Path(sys.executable).parent / "dagster"
    completed = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "pipelines.definitions"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Validation successful" in completed.stdout + completed.stderr


def test_refresh_job_runs_in_process_and_covers_every_stage():
    job = defs.resolve_job_def("refresh_all")
    assert job.executor_def is dg.in_process_executor
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    for expected in (
        "raw/ehc_requests",
        "raw/advice_requests",
        "raw/dfe_ehcp_timeliness",
        "staging/stg_ehc_requests",
        "intermediate/int_local_kpi_cases",
        "marts/kpi_comparison",
        "published/marts",
        "published/current",
    ):
        assert expected in keys


def test_stored_extract_checks_are_blocking():
    checks = {
        check_spec.key.name: check_spec
        for assets_def in defs.resolve_asset_graph().assets_defs
        for check_spec in assets_def.check_specs
    }
    assert {"ehc_requests_matches_schema", "advice_requests_matches_schema"} <= set(checks)
    assert all(checks[name].blocking for name in ("ehc_requests_matches_schema", "advice_requests_matches_schema"))


def test_dbt_sources_are_the_ingest_assets():
    graph = defs.resolve_asset_graph()
    staging = graph.get(dg.AssetKey(["staging", "stg_ehc_requests"]))
    assert dg.AssetKey(["raw", "ehc_requests"]) in staging.parent_keys


def test_only_the_source_test_notices_of_dagster_dbt_are_dropped_from_the_log():
    from pipelines.assets.transform import SOURCE_TEST_NOTICE_FILTER

    def record(message: str) -> logging.LogRecord:
        return logging.LogRecord("dagster.builtin", logging.WARNING, __file__, 1, message, None, None)

    notice = "Logging an `AssetObservation` instead of an `AssetCheckResult` for dbt test `{}`."
    assert not SOURCE_TEST_NOTICE_FILTER.filter(record(notice.format("source_not_null_raw_ehc_requests_request_id")))
    # A singular test without an asset key is something a developer must mend: still said.
    assert SOURCE_TEST_NOTICE_FILTER.filter(record(notice.format("published_kpis_are_catalogued_as_dfe_published")))
    assert SOURCE_TEST_NOTICE_FILTER.filter(record("dbt build failed"))


def test_every_singular_dbt_test_is_an_asset_check():
    """A singular test over two models needs a Dagster asset key in its meta, or dagster-dbt
    warns on every run and Dagster does not show its result as a check."""
    checks = {
        check_spec.key.name
        for assets_def in defs.resolve_asset_graph().assets_defs
        for check_spec in assets_def.check_specs
    }
    singular = {path.stem for path in (PROJECT_ROOT / "dbt_project" / "tests").glob("*.sql")}
    assert singular and singular <= checks


@pytest.mark.e2e
def test_a_run_leaves_the_process_environment_as_it_found_it(demo_run):
    """dbt's connection settings reach the dbt process only: a later read of the settings in
    this process (the next run of a long-lived service, another test) sees none of them."""
    assert demo_run.success
    leaked = [name for name in ("SENDKPI_BUILD_DB", "SENDKPI_DUCKDB_SPILL_DIR") if name in os.environ]
    assert leaked == []
