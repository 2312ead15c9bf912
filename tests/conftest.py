"""Shared fixtures: a real pipeline run on the synthetic sample, in a temporary folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines.settings import Settings, environment
from schemas import EXTRACTS
from synthetic_sample import (
    SAMPLE_COMPARATOR_GROUPS,
    SAMPLE_PERIODS,
    write_sample_benchmarks,
    write_sample_extracts,
)

# The synthetic sample holds one file per quarterly case extract and quarter.
SAMPLE_EXTRACT_FILES = len(EXTRACTS) * len(SAMPLE_PERIODS)

SHARED_DFE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dfe"


def sample_settings(data_dir: Path, **overrides) -> Settings:
    """Settings for the synthetic sample in data_dir (authority 990, its DfE-layout benchmarks,
    no pseudonymisation key), with any field overridden."""
    values = {
        "home_la": "990",
        "data_dir": data_dir,
        "benchmarks_dir": data_dir / "sample_benchmarks",
        "sn_model": "2025",
        "small_count_threshold": 5,
        "pseudonymisation_key": None,
    }
    return Settings(**{**values, **overrides})


@dataclass(frozen=True)
class PipelineRun:
    data_dir: Path
    benchmarks_dir: Path
    success: bool
    result: object

    @property
    def marts_dir(self) -> Path:
        return self.data_dir / "marts"

    @property
    def kpi_comparison(self) -> Path:
        return self.marts_dir / "kpi_comparison.parquet"


def run_pipeline(
    data_dir: Path,
    benchmarks_dir: Path,
    home_la: str = "990",
    key: str | None = None,
    comparator_groups: str | None = None,
) -> PipelineRun:
    """Run the real refresh_all job (Dagster, dbt, DuckDB) in process on these folders."""
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.partitions import all_quarters_tags

    with environment(
        SENDKPI_DATA_DIR=str(data_dir),
        SENDKPI_BENCHMARKS_DIR=str(benchmarks_dir),
        SENDKPI_HOME_LA=home_la,
        SENDKPI_PSEUDONYMISATION_KEY=key,
        SENDKPI_PSEUDONYMISATION_KEY_FILE=None,
        SENDKPI_COMPARATOR_GROUPS=comparator_groups,
    ):
        instance = dg.DagsterInstance.ephemeral()
        result = defs.resolve_job_def("refresh_all").execute_in_process(
            instance=instance, raise_on_error=False, tags=all_quarters_tags(instance)
        )
    return PipelineRun(data_dir, benchmarks_dir, result.success, result)


def step_failure_messages(run: PipelineRun) -> str:
    """What the failed steps of a run said, in one string."""
    return " ".join(
        event.event_specific_data.error.message
        for event in run.result.all_events
        if event.event_type_value == "STEP_FAILURE"
    )


def write_sample(data_dir: Path) -> Path:
    """The synthetic sample: extracts into data_dir/raw, benchmarks beside them."""
    write_sample_extracts(data_dir / "raw")
    benchmarks_dir = data_dir / "sample_benchmarks"
    write_sample_benchmarks(benchmarks_dir)
    return benchmarks_dir


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """The demo, materialised once per test session into a temporary data folder, with the
    sample's comparator group as `sendkpi demo` sets it."""
    data_dir = tmp_path_factory.mktemp("demo")
    run = run_pipeline(data_dir, write_sample(data_dir), comparator_groups=SAMPLE_COMPARATOR_GROUPS)
    assert run.success, "the demo pipeline run failed"
    return run


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An empty build warehouse (a real DuckDB file) with every extract's raw tables."""
    from pipelines.warehouse import ensure_raw_tables

    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_raw_tables(connection, list(EXTRACTS.values()))
    yield connection
    connection.close()


@pytest.fixture
def shared_dfe() -> Path:
    if not SHARED_DFE.is_dir():
        pytest.skip(f"real DfE files not available: {SHARED_DFE} is missing (they live outside the repository)")
    return SHARED_DFE


# --- Test lanes -------------------------------------------------------------------------
# `make test-fast` runs `pytest -n 2 -m "not e2e and not real_data"` with SENDKPI_TEST_LANE=fast:
# unit, dbt unit, contract and loader tests, no full pipeline run. A test that needs the
# demo's published output is e2e through its fixtures; one that starts the refresh job by
# itself must say so with `pytest.mark.e2e`, or the fast lane stops it with that advice.
FULL_PIPELINE_JOB = "refresh_all"
_pipeline_runs: list[str] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "demo_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)


def pytest_configure(config: pytest.Config) -> None:
    """Count every in-process run of the refresh job (and stop it in the fast lane), and
    start from the documented defaults whatever SENDKPI_* variables the shell has set (the
    README tells users to set them; tests set their own with `environment`)."""
    import dagster as dg

    from pipelines.dbt_project import prepare_manifest

    for name in [name for name in os.environ if name.startswith("SENDKPI_") and name != "SENDKPI_TEST_LANE"]:
        os.environ.pop(name)
    # `make test` has parsed the dbt project already (make install); a bare `pytest` after a
    # change to a model parses it here, as loading the pipeline no longer does.
    prepare_manifest()

    execute_in_process = dg.JobDefinition.execute_in_process
    fast_lane = os.environ.get("SENDKPI_TEST_LANE") == "fast"

    def counted(job, *args, **kwargs):
        if job.name == FULL_PIPELINE_JOB:
            test = os.environ.get("PYTEST_CURRENT_TEST", "a fixture")
            if fast_lane:
                pytest.fail(f"{test} runs the whole pipeline: mark it pytest.mark.e2e")
            _pipeline_runs.append(test)
        return execute_in_process(job, *args, **kwargs)

    dg.JobDefinition.execute_in_process = counted


def pytest_terminal_summary(terminalreporter) -> None:
    terminalreporter.write_line(
        f"full pipeline runs in process: {len(_pipeline_runs)} "
        f"(tests/test_faults.py also starts `sendkpi materialise` processes to kill them)"
    )
