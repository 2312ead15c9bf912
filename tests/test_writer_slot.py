"""One writer of the build warehouse at a time: a second run waits its turn with a message
naming the run it waits for, instead of failing on DuckDB's lock (pipelines/writer_slot.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import pytest

from pipelines.resources import WarehouseResource
from pipelines.settings import DEMO_PSEUDONYMISATION_KEY, load_settings
from pipelines.writer_slot import writer_slot
from tests.conftest import PipelineRun, environment, run_together

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Holds the slot as "run held-elsewhere", says so on stdout, and keeps it until its stdin closes.
HOLDER = """
import sys
from pathlib import Path
from pipelines.writer_slot import writer_slot
with writer_slot(Path(sys.argv[1]), "run held-elsewhere", print):
    print("holding", flush=True)
    sys.stdin.read()
"""


def _start_holder(warehouse: Path) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "holding"
    return holder


def _take_in_thread(warehouse: Path, messages: list[str]) -> tuple[threading.Thread, threading.Event]:
    taken = threading.Event()

    def take() -> None:
        with writer_slot(warehouse, "run waiting-here", messages.append):
            taken.set()

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    return thread, taken


def test_a_second_writer_waits_naming_the_first_and_goes_when_it_finishes(tmp_path: Path):
    warehouse = tmp_path / "build" / "warehouse_build.duckdb"
    holder = _start_holder(warehouse)
    messages: list[str] = []
    thread, taken = _take_in_thread(warehouse, messages)
    assert not taken.wait(1.0), "the second writer took the slot while the first held it"
    assert len(messages) == 1 and "run held-elsewhere" in messages[0] and f"process {holder.pid}" in messages[0]
    holder.stdin.close()  # the first writer finishes
    assert holder.wait(30) == 0
    assert taken.wait(30), "the second writer never got the slot"
    thread.join(30)


def test_a_killed_writer_leaves_the_slot_free(tmp_path: Path):
    warehouse = tmp_path / "warehouse_build.duckdb"
    holder = _start_holder(warehouse)
    holder.send_signal(signal.SIGKILL)
    holder.wait(30)
    messages: list[str] = []
    with writer_slot(warehouse, "run after-the-kill", messages.append):
        pass
    assert messages == []


def test_a_dagster_run_using_the_warehouse_waits_for_the_writer_and_says_so(tmp_path: Path):
    """The real resource: a run of a job using the warehouse, started while another process
    writes it, logs a warning naming that writer and completes after it finishes."""

    @dg.op
    def count_tables(warehouse: WarehouseResource) -> int:
        with warehouse.build_connection() as connection:
            return connection.execute("select count(*) from information_schema.tables").fetchone()[0]

    @dg.job(executor_def=dg.in_process_executor)
    def uses_the_warehouse():
        count_tables()

    with environment(SENDKPI_DATA_DIR=str(tmp_path)):
        holder = _start_holder(load_settings().build_warehouse_path)
        outcome: dict[str, dg.ExecuteInProcessResult] = {}
        instance = dg.DagsterInstance.ephemeral()
        thread = threading.Thread(
            target=lambda: outcome.update(
                result=uses_the_warehouse.execute_in_process(
                    instance=instance, resources={"warehouse": WarehouseResource()}
                )
            )
        )
        thread.start()
        time.sleep(3)
        assert thread.is_alive(), "the run finished while another process held the writer slot"
        holder.stdin.close()
        assert holder.wait(30) == 0
        thread.join(120)
    result = outcome["result"]
    assert result.success
    warnings = [
        record.user_message
        for record in instance.all_logs(result.run_id)
        if record.level == 30 and "this run waits" in record.user_message
    ]
    assert len(warnings) == 1 and "run held-elsewhere" in warnings[0]


@pytest.mark.e2e
def test_two_materialise_commands_started_together_both_succeed_one_after_the_other(
    demo_copy: PipelineRun, tmp_path: Path
):
    # On a copy of the built demo: both commands run the whole refresh (--full-refresh), the
    # second once the first has let the writer slot go.
    command_environment = {
        **os.environ,
        "SENDKPI_DATA_DIR": str(demo_copy.data_dir),
        "SENDKPI_HOME_LA": "990",
        "SENDKPI_BENCHMARKS_DIR": str(demo_copy.benchmarks_dir),
        "SENDKPI_PSEUDONYMISATION_KEY": DEMO_PSEUDONYMISATION_KEY,
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    command_environment.pop("SENDKPI_PSEUDONYMISATION_KEY_FILE", None)
    finished = run_together(
        [sys.executable, "-m", "pipelines.cli", "materialise", "--full-refresh"],
        command_environment,
        tmp_path,
        cwd=PROJECT_ROOT,
    )
    outputs = [output for _, output in finished]
    assert [code for code, _ in finished] == [0, 0], "\n\n".join(output[-3000:] for output in outputs)
    waited = [output for output in outputs if "this run waits for it to finish" in output]
    assert len(waited) == 1, "exactly one of the two waited for the other"
    assert not any("lock" in output.lower() and "conflicting" in output.lower() for output in outputs)
    assert sum("Published set" in output for output in outputs) == 2
