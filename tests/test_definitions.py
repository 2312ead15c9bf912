"""The Dagster code location loads as `dagster dev` would load it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg

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
