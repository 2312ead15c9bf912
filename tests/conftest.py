"""Shared fixtures: a real pipeline run on the synthetic sample, in a temporary folder."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
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
    home_la: str = "990"
    key: str | None = None
    comparator_groups: str | None = None

    def again(self, **changes) -> PipelineRun:
        """The refresh run again on the same folders with this run's settings, any changed
        (home_la, key, comparator_groups)."""
        settings = {"home_la": self.home_la, "key": self.key, "comparator_groups": self.comparator_groups, **changes}
        return run_pipeline(self.data_dir, self.benchmarks_dir, **settings)

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
    return PipelineRun(data_dir, benchmarks_dir, result.success, result, home_la, key, comparator_groups)


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


def run_together(command: list[str], environment: dict[str, str], folder: Path, cwd: Path | None = None):
    """Start two copies of command at once and wait for both: [(return code, output), ...].
    Each writes to a file in folder, not a pipe: a pipe read one command at a time could fill
    up and stall the command holding the writer slot while the test waits for the other."""
    logs = [folder / f"command_{number}.log" for number in range(2)]
    commands = []
    for log in logs:
        with log.open("w") as output:
            commands.append(
                subprocess.Popen(command, cwd=cwd, env=environment, stdout=output, stderr=subprocess.STDOUT)
            )
    for started in commands:
        started.wait(timeout=900)
    return [(started.returncode, log.read_text()) for started, log in zip(commands, logs, strict=True)]


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """The demo, materialised once per test session into a temporary data folder, with the
    sample's comparator group as `sendkpi demo` sets it."""
    data_dir = tmp_path_factory.mktemp("demo")
    run = run_pipeline(data_dir, write_sample(data_dir), comparator_groups=SAMPLE_COMPARATOR_GROUPS)
    assert run.success, "the demo pipeline run failed"
    return run


def copy_of(run: PipelineRun, data_dir: Path) -> PipelineRun:
    """A copy of a built run's data folder (raw files, build warehouse and ledger, published
    sets, and the benchmarks when they live inside it) in data_dir, with the run's settings:
    a run on it loads only what the test changed, and the original stays as built."""
    shutil.copytree(run.data_dir, data_dir, symlinks=True)  # the published links are relative
    benchmarks_dir = run.benchmarks_dir
    if benchmarks_dir.is_relative_to(run.data_dir):
        benchmarks_dir = data_dir / benchmarks_dir.relative_to(run.data_dir)
    return replace(run, data_dir=data_dir, benchmarks_dir=benchmarks_dir)


@pytest.fixture
def demo_copy(demo_run: PipelineRun, tmp_path: Path) -> PipelineRun:
    """A copy of the built demo for a test that changes an input or breaks something."""
    return copy_of(demo_run, tmp_path / "demo")


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
# Each in-process refresh, and whether it started on an empty data folder (a build from
# nothing) or on a warehouse built before (a copy of the demo, or the test's own earlier run).
_pipeline_runs: list[tuple[str, bool]] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "demo_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)


def _starts_from_empty() -> bool:
    """Does the refresh about to run (with the settings the environment gives it) start with
    no build warehouse?"""
    from pipelines.settings import SettingsError, load_settings

    try:
        return not load_settings().build_warehouse_path.exists()
    except SettingsError:  # a run that will refuse its settings builds nothing either way
        return True


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
            _pipeline_runs.append((test, _starts_from_empty()))
        return execute_in_process(job, *args, **kwargs)

    dg.JobDefinition.execute_in_process = counted


def pytest_terminal_summary(terminalreporter) -> None:
    from_empty = [test for test, empty in _pipeline_runs if empty]
    if not _pipeline_runs:
        terminalreporter.write_line("full pipeline runs in process: 0")
        return
    terminalreporter.write_line(
        f"full pipeline runs in process: {len(_pipeline_runs)}, {len(from_empty)} of them from an empty "
        f"data folder, the others on a warehouse built before (a copy of the demo, or the test's own "
        f"earlier run); besides these, test_faults.py, test_writer_slot.py and test_service.py start "
        f"refreshes as processes (`sendkpi materialise`, `sendkpi serve`): killed, two at once, queued"
    )
    for test in from_empty:
        # "(setup)": built by a fixture (the demo, or a module's own) for the test named.
        terminalreporter.write_line(f"  from empty: {test}")
