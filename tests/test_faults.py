"""Faults: a refresh killed at any point, readers during a refresh, awkward input files.
The published marts are only ever the last complete version."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipelines.settings import DEMO_PSEUDONYMISATION_KEY
from tests.conftest import PipelineRun, environment, step_failure_messages

pytestmark = pytest.mark.e2e  # each test runs the whole pipeline on a copy of the built demo

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _fingerprints(data_dir: Path) -> dict[str, str]:
    published = sorted((data_dir / "marts").glob("*.parquet")) + [data_dir / "warehouse.duckdb"]
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in published}


def _correct_a_quarter(data_dir: Path) -> None:
    """Drop one request from a quarter's file, as an analyst's corrected extract would."""
    path = next((data_dir / "raw" / "ehc_requests").glob("*2023-24_Q3.csv"))
    lines = path.read_text().splitlines(keepends=True)
    path.with_name(path.stem + "_corrected.csv").write_text("".join(lines[:1] + lines[2:]))
    path.unlink()


def _start_refresh(data_dir: Path) -> subprocess.Popen:
    environment = {
        **os.environ,
        "SENDKPI_DATA_DIR": str(data_dir),
        "SENDKPI_HOME_LA": "990",
        "SENDKPI_BENCHMARKS_DIR": str(data_dir / "sample_benchmarks"),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    # The demo's files corrected by hand are no longer the bundled sample: they need a key.
    environment["SENDKPI_PSEUDONYMISATION_KEY"] = DEMO_PSEUDONYMISATION_KEY
    environment.pop("SENDKPI_PSEUDONYMISATION_KEY_FILE", None)
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "materialise"],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _dbt_running(session: int) -> bool:
    """Is a dbt process running in the refresh's process group?"""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) == session and b"dbt" in (entry / "cmdline").read_bytes():
                return True
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
    return False


def _wait_for(condition, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def _kill_when(process: subprocess.Popen, condition) -> bool:
    """Kill the refresh (and its dbt child) with SIGKILL once condition holds; False when the
    refresh finished first."""
    reached = _wait_for(lambda: condition() or process.poll() is not None)
    if process.poll() is not None:
        return False
    assert reached
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return True


def test_refresh_killed_at_several_points_leaves_published_marts_byte_identical(demo_copy: PipelineRun):
    data_dir = demo_copy.data_dir
    before = _fingerprints(data_dir)
    _correct_a_quarter(data_dir)
    build_db = data_dir / "build" / "warehouse_build.duckdb"
    started_writing = build_db.stat().st_mtime
    kill_points = {
        "while starting up": lambda: True,
        "while loading extracts": lambda: (
            build_db.stat().st_mtime > started_writing or Path(f"{build_db}.wal").exists()
        ),
        "while dbt builds the marts": None,  # set per process: needs its process group
    }
    killed = []
    for point, condition in kill_points.items():
        process = _start_refresh(data_dir)
        if condition is None:
            condition = lambda process=process: _dbt_running(process.pid)  # noqa: E731 - bound to this process
        if _kill_when(process, condition):
            killed.append(point)
        assert _fingerprints(data_dir) == before, f"published files changed after a kill {point}"
    assert killed, "no kill point was reached before the refresh finished"
    # The next run completes and publishes the corrected quarter.
    finished = _start_refresh(data_dir)
    assert finished.wait(timeout=600) == 0
    after = _fingerprints(data_dir)
    assert after["kpi_comparison.parquet"] != before["kpi_comparison.parquet"]
    # Nothing of the killed runs is left: no half-built set, no link being switched.
    assert not list(data_dir.glob(".*.tmp")) and not list((data_dir / "releases").glob(".building-*"))


def _mart_signature(read) -> tuple:
    return read("select count(*), sum(coalesce(numerator, 0)), sum(coalesce(denominator, 0)) from {table}")


def test_readers_never_fail_and_see_one_whole_version_during_a_refresh(demo_copy: PipelineRun):
    data_dir = demo_copy.data_dir
    parquet = data_dir / "marts" / "kpi_comparison.parquet"
    warehouse = data_dir / "warehouse.duckdb"

    def read_parquet(sql: str) -> tuple:
        with duckdb.connect() as connection:
            return connection.execute(sql.format(table=f"'{parquet}'")).fetchone()

    def read_warehouse(sql: str) -> tuple:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            return connection.execute(sql.format(table="marts.kpi_comparison")).fetchone()

    old = (_mart_signature(read_parquet), _mart_signature(read_warehouse))
    _correct_a_quarter(data_dir)
    seen: list[tuple[str, tuple]] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            for name, read in (("parquet", read_parquet), ("warehouse", read_warehouse)):
                try:
                    seen.append((name, _mart_signature(read)))
                except BaseException as error:  # any failure of a reader is what we test for
                    errors.append(error)

    thread = threading.Thread(target=reader)
    thread.start()
    refresh = _start_refresh(data_dir)
    try:
        assert refresh.wait(timeout=600) == 0
    finally:
        done.set()
        thread.join()
    new = (_mart_signature(read_parquet), _mart_signature(read_warehouse))
    assert errors == []
    assert new != old
    assert len(seen) > 20
    for name, signature in seen:
        index = 0 if name == "parquet" else 1
        assert signature in (old[index], new[index]), f"{name} read a mix: {signature}"


def _xlsx_with_title_rows(path: Path, header: list[str], rows: list[list]) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Advice requests - quarterly extract"])
    sheet.append(["Produced 2023-10-02 by the case management system"])
    sheet.append([])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def test_excel_extract_with_title_rows_loads_with_excel_row_numbers(demo_copy: PipelineRun):
    data_dir = demo_copy.data_dir
    before = _fingerprints(data_dir)
    from datetime import datetime

    folder = data_dir / "raw" / "advice_requests"
    for path in folder.glob("*2023-24_Q4*"):
        path.unlink()
    _xlsx_with_title_rows(
        folder / "advice_requests_2023-24_Q4.xlsx",
        ["advice_request_id", "request_id", "advice_type", "advice_requested_date", "advice_received_date"],
        [
            ["NEW-1", "REQ-1", "health", datetime(2024, 1, 8), datetime(2024, 2, 1)],
            ["NEW-2", "REQ-1", "dentistry", datetime(2024, 1, 8), None],
        ],
    )
    # Not a synthetic file any more: a key is required, and it must be the warehouse's own.
    # Two rows replace a quarter of hundreds: such a correction is held back unless the case
    # loss is accepted deliberately, as here (max_case_loss_pct = 100).
    with environment(SENDKPI_MAX_CASE_LOSS_PCT="100"):
        run = demo_copy.again(key=DEMO_PSEUDONYMISATION_KEY)
    assert run.success
    with duckdb.connect(str(data_dir / "build" / "warehouse_build.duckdb"), read_only=True) as connection:
        quarantined = connection.execute(
            "select source_row_number, column_name, original_value from raw.quarantine q "
            "join raw.load_log l using (load_id) where l.file_name like '%.xlsx'"
        ).fetchall()
        loaded = connection.execute(
            "select rows_loaded, rows_quarantined, status from raw.load_log where file_name like '%.xlsx'"
        ).fetchall()
    # Header on row 4 under three title rows: the data rows are Excel rows 5 and 6.
    assert quarantined == [(6, "advice_type", "dentistry")]
    assert loaded == [(1, 1, "current")]
    assert _fingerprints(data_dir) != before


def test_windows_1252_file_and_a_copy_under_another_name(demo_copy: PipelineRun):
    data_dir = demo_copy.data_dir
    folder = data_dir / "raw" / "ehc_requests"
    original = next(folder.glob("*2023-24_Q4.csv"))
    text = original.read_text(encoding="utf-8").replace(",ASD\n", ",ASD\n", 1)
    # The same rows re-saved by Excel on Windows, with a pound sign in a (harmless) id.
    lines = text.splitlines(keepends=True)
    lines[1] = lines[1].replace("REQ-", "REQ-£", 1)
    original.unlink()
    (folder / "ehc_requests_2023-24_Q4_windows.csv").write_bytes("".join(lines).encode("cp1252"))
    (folder / "copy of ehc_requests_2023-24_Q4_windows.csv").write_bytes("".join(lines).encode("cp1252"))
    run = demo_copy.again(key=DEMO_PSEUDONYMISATION_KEY)
    assert run.success
    with duckdb.connect(str(data_dir / "build" / "warehouse_build.duckdb"), read_only=True) as connection:
        log = dict(
            connection.execute(
                "select file_name, message from raw.load_log where status = 'current' and source_period = '2023-24_Q4' "
                "and extract = 'ehc_requests'"
            ).fetchall()
        )
    assert list(log) == ["copy of ehc_requests_2023-24_Q4_windows.csv"] or list(log) == [
        "ehc_requests_2023-24_Q4_windows.csv"
    ]
    assert "read as windows-1252" in next(iter(log.values()))


def test_a_different_key_on_an_existing_warehouse_is_refused(demo_copy: PipelineRun):
    before = _fingerprints(demo_copy.data_dir)
    run = demo_copy.again(key="another-key-entirely-0123456789")
    assert not run.success
    messages = step_failure_messages(run)
    assert "not the one this warehouse was built with" in messages
    assert _fingerprints(demo_copy.data_dir) == before


def _comparison_rows(data_dir: Path) -> list[tuple]:
    with duckdb.connect() as connection:
        return connection.execute(
            f"select * from '{data_dir / 'marts' / 'kpi_comparison.parquet'}' order by all"
        ).fetchall()


def _log(data_dir: Path, where: str) -> list[tuple]:
    with duckdb.connect(str(data_dir / "build" / "warehouse_build.duckdb"), read_only=True) as connection:
        return connection.execute(
            f"select file_name, status, message from raw.load_log where {where} order by loaded_at"
        ).fetchall()


def test_truncated_correction_is_rejected_and_the_good_quarter_stays_published(demo_copy: PipelineRun):
    data_dir = demo_copy.data_dir
    before = _comparison_rows(data_dir)
    good = next((data_dir / "raw" / "ehc_requests").glob("*2023-24_Q4.csv"))
    text = good.read_text()
    cut = text[: len(text) // 2].rsplit(",", 3)[0]  # the transfer stopped in the middle of a row
    (good.parent / "ehc_requests_2023-24_Q4_v2.csv").write_text(cut)
    run = demo_copy.again(key=DEMO_PSEUDONYMISATION_KEY)
    assert run.success
    [(name, status, message)] = _log(data_dir, "file_name = 'ehc_requests_2023-24_Q4_v2.csv'")
    assert status == "rejected"
    assert "rejected (unreadable)" in message and "fields from the header's 10" in message
    assert (
        _log(data_dir, "source_period = '2023-24_Q4' and extract = 'ehc_requests' and status = 'current'")[0][0]
        == good.name
    )
    assert _comparison_rows(data_dir) == before


def test_same_file_under_another_name_changes_nothing(demo_copy: PipelineRun):
    data_dir = demo_copy.data_dir
    before, loads_before = _comparison_rows(data_dir), _log(data_dir, "true")
    original = next((data_dir / "raw" / "advice_requests").glob("*2022-23_Q1.csv"))
    shutil.copy(original, original.with_name("advice_requests_2022-23_Q1 (1).csv"))
    run = demo_copy.again(key=DEMO_PSEUDONYMISATION_KEY)
    assert run.success
    assert _log(data_dir, "true") == loads_before
    assert _comparison_rows(data_dir) == before


def test_corrected_old_quarter_replaces_it_and_keeps_the_history(demo_copy: PipelineRun):
    data_dir = demo_copy.data_dir
    before = {(row[5], row[9], row[10], row[13]): row for row in _comparison_rows(data_dir)}
    _correct_a_quarter(data_dir)  # 2023-24 Q3 without its first request
    run = demo_copy.again(key=DEMO_PSEUDONYMISATION_KEY)
    assert run.success
    history = _log(data_dir, "source_period = '2023-24_Q3' and extract = 'ehc_requests'")
    assert [(name.endswith("_corrected.csv"), status) for name, status, _ in history] == [
        (False, "superseded"),
        (True, "current"),
    ]
    with duckdb.connect(str(data_dir / "build" / "warehouse_build.duckdb"), read_only=True) as connection:
        rows_per_load = connection.execute(
            "select count(distinct load_id) from raw.ehc_requests where source_period = '2023-24_Q3'"
        ).fetchone()[0]
    assert rows_per_load == 2  # both versions' rows are kept
    after = _comparison_rows(data_dir)
    local_versions = {row[-1] for row in after if row[13] == "local" and row[5].startswith(("ehc", "refusal"))}
    old_versions = {row[-1] for row in before.values() if row[13] == "local" and row[5].startswith(("ehc", "refusal"))}
    assert len(local_versions) == 1 and local_versions != old_versions
