"""The dbt project as Dagster sees it: one cached DbtProject and an up-to-date manifest."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import sys
import time
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

from pipelines.settings import PROJECT_ROOT

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
_SOURCE_FOLDERS = ("models", "macros", "seeds", "tests")
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# Every dbt run writes a folder of its own under target/ (dagster-dbt names it after the op,
# the run and a random suffix): some 20 MB of manifest, parse, compiled SQL and dbt.log. A
# service refreshing nightly would fill its disk; the newest few stay for reading a run's dbt.log.
RUN_FOLDERS_KEPT = 5
# Younger than this a folder may belong to a dbt run still going (the tests run dbt side by side).
RUN_FOLDER_MIN_AGE_SECONDS = 3600


def dbt_executable() -> str:
    """The dbt installed beside this Python (the project's .venv), even when the venv is not
    activated and so not on PATH."""
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else (shutil.which("dbt") or "dbt")


def manifest_is_stale(project_dir: Path, manifest_path: Path) -> bool:
    """True when the manifest is missing or older than any file dbt parses."""
    if not manifest_path.exists():
        return True
    built = manifest_path.stat().st_mtime
    sources = [project_dir / "dbt_project.yml"]
    for folder in _SOURCE_FOLDERS:
        sources.extend(path for path in (project_dir / folder).rglob("*") if path.is_file())
    return any(path.stat().st_mtime > built for path in sources)


sendkpi_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


class SendKpiDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without two steps it takes before every dbt command, which cost
    about 5.8 s a run here (3.3 s and 2.5 s, measured) and which this project does not need:
    - it runs `dbt --version` in a subprocess to learn the dbt version; dbt-core is installed
      in this Python (pyproject.toml), so its version is read from the package metadata;
    - it loads dbt's project, profile and macros in this process to hold a dbt adapter, used
      only by `fetch_row_counts()` and `fetch_column_metadata()`, which the pipeline does not
      call.
    Both are private members of dagster-dbt 0.29 (pinned below 0.30 in pyproject.toml);
    tests/test_dbt_resource.py fails if a release renames them, so the saving cannot go
    unnoticed."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


def dbt_cli_resource() -> SendKpiDbtCliResource:
    """The dbt command line every run and `sendkpi prepare` use."""
    return SendKpiDbtCliResource(project_dir=sendkpi_dbt_project, dbt_executable=dbt_executable())


def prepare_manifest() -> bool:
    """Parse the dbt project into target/manifest.json when it is missing or older than the
    project's files (`make install`, `sendkpi prepare`, CI); True when it parsed. A full parse:
    dbt 1.11's partial parsing has kept an edited unit test's old rows."""
    if not manifest_is_stale(DBT_PROJECT_DIR, sendkpi_dbt_project.manifest_path):
        return False
    # The last run's parse is of the code before this change: no run may start from it.
    _kept_parse().unlink(missing_ok=True)
    dbt_cli_resource().cli(
        ["parse", "--quiet", "--no-partial-parse"], target_path=sendkpi_dbt_project.target_path
    ).wait()
    return True


def _kept_parse() -> Path:
    """Where dagster-dbt looks for a parse to start each dbt run from (it copies the file into
    the run's own target folder)."""
    return sendkpi_dbt_project.project_dir / sendkpi_dbt_project.target_path / PARTIAL_PARSE_FILE


def keep_parse_for_next_run(run_target_path: Path) -> None:
    """Keep a finished dbt run's parse for the next run. dbt parses the whole project again
    (about 5 s) when a run's profile or variables differ from those of the parse it starts
    from, and a run's differ from the prepared manifest's (the build warehouse's path, the
    settings as --vars); the next run with the same settings and code, the nightly refresh,
    then only checks the files. Replaced in one step: a run starting meanwhile reads a whole
    file."""
    source = sendkpi_dbt_project.project_dir / run_target_path / PARTIAL_PARSE_FILE
    if not source.exists():
        return
    destination = _kept_parse()
    incoming = destination.with_name(f".{PARTIAL_PARSE_FILE}.{os.getpid()}")
    shutil.copyfile(source, incoming)
    os.replace(incoming, destination)


def prune_run_folders(target_dir: Path, op_name: str, now: float | None = None) -> list[Path]:
    """Remove the run folders of `op_name` in target_dir beyond the newest RUN_FOLDERS_KEPT,
    leaving any younger than RUN_FOLDER_MIN_AGE_SECONDS; returns those removed."""
    folders = sorted(
        (folder for folder in target_dir.glob(f"{op_name}-*") if folder.is_dir()),
        key=lambda folder: folder.stat().st_mtime,
        reverse=True,
    )
    now = time.time() if now is None else now
    removed = []
    for folder in folders[RUN_FOLDERS_KEPT:]:
        if now - folder.stat().st_mtime >= RUN_FOLDER_MIN_AGE_SECONDS:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


class StaleManifestError(RuntimeError):
    """The dbt manifest is missing or older than the dbt project's files."""


def require_current_manifest() -> None:
    """Loading the Dagster definitions parses nothing: under `dagster dev` dagster-dbt prepares
    the manifest itself (prepare_if_dev); anywhere else it must already be current."""
    sendkpi_dbt_project.prepare_if_dev()
    if manifest_is_stale(DBT_PROJECT_DIR, sendkpi_dbt_project.manifest_path):
        raise StaleManifestError(
            f"The dbt manifest {sendkpi_dbt_project.manifest_path} is missing or older than the dbt project: "
            "run `make install` (or `sendkpi prepare`) after changing or updating the project."
        )
