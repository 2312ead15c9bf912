"""A refresh with nothing new does nothing; a change or --full-refresh rebuilds.

The check is pipelines/fingerprint.py: the raw files, the DfE files, the settings and the
code, taken when a run for every quarter starts and recorded when it has published.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import dagster as dg
import pytest

from pipelines.dbt_project import DBT_PROJECT_DIR, PARTIAL_PARSE_FILE
from pipelines.fingerprint import unchanged_since_published
from pipelines.settings import DEMO_PSEUDONYMISATION_KEY, load_settings
from tests.conftest import PipelineRun, copy_of, environment

pytestmark = pytest.mark.e2e


def _materialise(data_dir: Path, *arguments: str) -> tuple[int, str]:
    from pipelines.cli import main

    out, err = io.StringIO(), io.StringIO()
    with _settings_for(data_dir), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["materialise", *arguments])
    return code, out.getvalue() + err.getvalue()


def _settings_for(data_dir: Path):
    return environment(
        SENDKPI_DATA_DIR=str(data_dir),
        SENDKPI_BENCHMARKS_DIR=str(data_dir / "sample_benchmarks"),
        SENDKPI_HOME_LA="990",
        SENDKPI_PSEUDONYMISATION_KEY=DEMO_PSEUDONYMISATION_KEY,
        SENDKPI_PSEUDONYMISATION_KEY_FILE=None,
    )


def _published_state(data_dir: Path) -> dict[str, int]:
    files = [*sorted((data_dir / "marts").glob("*.parquet")), data_dir / "warehouse.duckdb"]
    return {path.name: path.stat().st_mtime_ns for path in files}


@pytest.fixture(scope="module")
def refreshed(demo_run: PipelineRun, tmp_path_factory) -> Path:
    """A copy of the demo, refreshed once through the CLI (a new folder is a new input set)."""
    data_dir = copy_of(demo_run, tmp_path_factory.mktemp("incremental") / "data").data_dir
    code, out = _materialise(data_dir)
    assert code == 0, out
    assert "Published" in out
    # Progress in the terminal: each step as it starts and finishes, the dbt step included.
    assert "  started   sendkpi_dbt_models" in out and "  finished  sendkpi_dbt_models (" in out
    return data_dir


def test_a_refresh_with_nothing_new_runs_nothing(refreshed):
    before = _published_state(refreshed)
    reports = sorted((refreshed / "run_reports").glob("*.md"))
    code, out = _materialise(refreshed)
    assert code == 0
    assert "Nothing changed since run" in out and "nothing to do" in out
    assert _published_state(refreshed) == before  # nothing republished
    assert sorted((refreshed / "run_reports").glob("*.md")) == reports  # no run happened


def test_the_nightly_schedule_skips_when_nothing_changed(refreshed):
    from pipelines.definitions import defs

    schedule = defs.resolve_schedule_def("nightly_refresh")
    with _settings_for(refreshed):
        result = schedule.evaluate_tick(dg.build_schedule_context())
    assert result.skip_message and "Nothing changed since run" in result.skip_message
    assert not result.run_requests


def test_a_new_file_a_setting_or_a_touched_file_means_a_rebuild(refreshed, tmp_path):
    with _settings_for(refreshed):
        assert unchanged_since_published(load_settings())
        with environment(SENDKPI_SN_MODEL="2021"):
            assert unchanged_since_published(load_settings()) is None
    extract = sorted((refreshed / "raw" / "ehc_requests").glob("*.csv"))[-1]
    stamp = extract.stat()
    os.utime(extract, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1_000_000_000))
    try:
        with _settings_for(refreshed):
            assert unchanged_since_published(load_settings()) is None
    finally:
        os.utime(extract, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    with _settings_for(refreshed):
        assert unchanged_since_published(load_settings())


def test_full_refresh_runs_even_when_nothing_changed(refreshed):
    before = _published_state(refreshed)
    code, out = _materialise(refreshed, "--full-refresh")
    assert code == 0, out
    assert "Published" in out and "Nothing changed" not in out
    after = _published_state(refreshed)
    assert all(after[name] > before[name] for name in before)


def test_a_run_with_the_same_settings_starts_from_the_last_runs_parse(refreshed):
    """The refresh before this one had the same settings (and code): dbt checks the files
    against the kept parse instead of parsing the whole project again."""
    code, out = _materialise(refreshed, "--full-refresh")
    assert code == 0, out
    runs = sorted(
        (DBT_PROJECT_DIR / "target").glob("sendkpi_dbt_models-*/dbt.log"), key=lambda log: log.stat().st_mtime
    )
    latest = runs[-1].parent
    assert "Unable to do partial parsing" not in runs[-1].read_text(encoding="utf-8")
    kept = DBT_PROJECT_DIR / "target" / PARTIAL_PARSE_FILE
    assert kept.read_bytes() == (latest / PARTIAL_PARSE_FILE).read_bytes()
