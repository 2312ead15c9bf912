"""`sendkpi materialise` through the service's run queue, when `sendkpi serve` is running.

A command-line run then joins the one queue the schedule and the sensors use (dagster.yaml:
one warehouse writer at a time): it is submitted to the service's Dagster instance, waits its
turn with a message, and is followed to the end, printing each step. Where no service is
running for this data folder (a laptop, `make demo`), `sendkpi materialise` runs in process,
holding the same writer slot (pipelines/writer_slot.py).

The service is recognised by the file `sendkpi serve` writes into its DAGSTER_HOME
(pipelines/service.py: which code location it serves, its process) and by the queue daemon's
heartbeat in the instance: a service that was killed is not mistaken for a running one.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from pipelines.jobs import WAREHOUSE_WRITER_TAG
from pipelines.service import SERVICE_FILE, dagster_home, service_environment, tool
from pipelines.settings import PROJECT_ROOT, Settings, environment

QUEUE_DAEMON = "QUEUED_RUN_COORDINATOR"
# The daemon beats every 30 s or so: two missed beats and the service is taken as stopped.
HEARTBEAT_FRESH_SECONDS = 75
POLL_SECONDS = 2.0
STEP_EVENTS = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}


class SubmitError(RuntimeError):
    """The service did not accept the run."""


@dataclass(frozen=True)
class Service:
    home: Path
    code_location: str
    pid: int


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_service(settings: Settings) -> Service | None:
    """The `sendkpi serve` of this data folder's Dagster home, when its process is alive."""
    home = dagster_home(settings)
    try:
        recorded = json.loads((home / SERVICE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    service = Service(home, recorded["code_location"], int(recorded["pid"]))
    return service if _process_alive(service.pid) else None


@contextmanager
def service_instance(service: Service) -> Iterator[dg.DagsterInstance]:
    """The service's instance (PostgreSQL when SENDKPI_POSTGRES_URL is set, as for the service)."""
    with environment(**service_environment(service.home)):
        with dg.DagsterInstance.from_config(str(service.home)) as instance:
            yield instance


def queue_is_served(instance: dg.DagsterInstance, now: float | None = None) -> bool:
    """Whether the daemon that dequeues runs has beaten recently."""
    heartbeat = instance.get_daemon_heartbeats().get(QUEUE_DAEMON)
    return heartbeat is not None and (now or time.time()) - heartbeat.timestamp <= HEARTBEAT_FRESH_SECONDS


def submit(service: Service, tags: dict[str, str]) -> str:
    """Put a refresh_all run on the service's queue (`dagster job launch` against its code
    location and instance); returns the run id."""
    run_id = str(uuid.uuid4())
    command = [tool("dagster"), "job", "launch", "-m", service.code_location, "-j", "refresh_all"]
    command += ["--run-id", run_id, "--tags", json.dumps(tags)]
    completed = subprocess.run(
        command,
        env={**os.environ, **service_environment(service.home)},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if completed.returncode != 0:
        raise SubmitError(f"the service did not take the run: {(completed.stderr or completed.stdout)[-1500:]}")
    return run_id


def _writer_ahead(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRun | None:
    """A run writing the warehouse (or about to) that this one waits for."""
    busy = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.QUEUED]
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=busy, tags=WAREHOUSE_WRITER_TAG))
    ahead = [run for run in runs if run.run_id != run_id and run.status != dg.DagsterRunStatus.QUEUED]
    return ahead[0] if ahead else None


def follow(instance: dg.DagsterInstance, run_id: str, say: Callable[[str], None] = print) -> dg.DagsterRun:
    """Wait for the run to finish, saying when it waits for another run and each step it
    starts and ends; returns the finished run."""
    seen_events, waiting_for = 0, None
    while True:
        run = instance.get_run_by_id(run_id)
        if run is None:
            raise SubmitError(f"run {run_id} is not in the service's run history")
        if run.status == dg.DagsterRunStatus.QUEUED:
            ahead = _writer_ahead(instance, run_id)
            if ahead is not None and ahead.run_id != waiting_for:
                waiting_for = ahead.run_id
                say(f"Queued: run {ahead.run_id[:8]} is writing the warehouse; this run waits its turn.")
        records = instance.all_logs(run_id, of_type=STEP_EVENTS)
        for record in records[seen_events:]:
            event = record.dagster_event
            verb = {"STEP_START": "started ", "STEP_SUCCESS": "finished", "STEP_FAILURE": "FAILED  "}[
                event.event_type_value
            ]
            say(f"  {verb}  {event.step_key}")
        seen_events = len(records)
        if run.is_finished:
            return run
        time.sleep(POLL_SECONDS)


def run_events(instance: dg.DagsterInstance, run_id: str) -> list[dg.DagsterEvent]:
    return [record.dagster_event for record in instance.all_logs(run_id) if record.dagster_event]
