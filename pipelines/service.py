"""`sendkpi serve`: the warehouse as a service a council leaves running.

Starts the Dagster webserver (the UI analysts use) and the Dagster daemon (which fires the
nightly schedule and the new-files sensor, dequeues runs and runs the report sensors) against
one Dagster instance in DAGSTER_HOME (default: <data folder>/dagster_home). The instance is
the repository's dagster.yaml (the queued run coordinator: one warehouse writer at a time)
plus, when SENDKPI_POSTGRES_URL is set, run, event-log and schedule storage in PostgreSQL
(dagster-postgres); SQLite files in DAGSTER_HOME otherwise. The URL is read from the
environment by Dagster itself and never written to disk. deploy/ holds a systemd unit and a
container definition (docs/operations.md, "Running it as a service").
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from pipelines.settings import PROJECT_ROOT, Settings

BASE_INSTANCE = PROJECT_ROOT / "dagster.yaml"
POSTGRES_URL_VARIABLE = "SENDKPI_POSTGRES_URL"
CODE_LOCATION = "pipelines.definitions"
# Written into DAGSTER_HOME while the service runs: `sendkpi materialise` reads it to submit
# its run to this service's queue (pipelines/run_queue.py).
SERVICE_FILE = "sendkpi_service.json"


def postgres_driver_url(url: str) -> str:
    """The URL as dagster-postgres needs it: SQLAlchemy 2.1 opens a plain postgresql:// URL
    with psycopg 3, whose server-side parameters break dagster-postgres's NOTIFY; name the
    psycopg2 driver it is written for (and installs)."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg2://" + url[len(plain) :]
    return url


def service_environment(home: Path) -> dict[str, str]:
    """What the service's processes (and a command submitting to it) set: its DAGSTER_HOME,
    and the PostgreSQL URL, when there is one, with the driver dagster-postgres needs."""
    values = {"DAGSTER_HOME": str(home)}
    if os.environ.get(POSTGRES_URL_VARIABLE):
        values[POSTGRES_URL_VARIABLE] = postgres_driver_url(os.environ[POSTGRES_URL_VARIABLE])
    return values


def dagster_home(settings: Settings) -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or settings.data_dir / "dagster_home").resolve()


def instance_config(use_postgres: bool) -> dict:
    """The instance for a deployment (pure): the repository's dagster.yaml, with PostgreSQL
    storage when asked for."""
    config = yaml.safe_load(BASE_INSTANCE.read_text(encoding="utf-8"))
    if use_postgres:
        config["storage"] = {"postgres": {"postgres_url": {"env": POSTGRES_URL_VARIABLE}}}
    return config


def write_instance(home: Path) -> Path:
    """DAGSTER_HOME/dagster.yaml for this environment; returns its path."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "dagster.yaml"
    config = instance_config(bool(os.environ.get(POSTGRES_URL_VARIABLE)))
    path.write_text(
        "# Written by `sendkpi serve` from the repository's dagster.yaml (pipelines/service.py).\n"
        + yaml.safe_dump(config, sort_keys=False),
        encoding="utf-8",
    )
    return path


def tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else name


def service_commands(host: str, port: int, code_location: str = CODE_LOCATION) -> dict[str, list[str]]:
    return {
        "webserver": [tool("dagster-webserver"), "-m", code_location, "-h", host, "-p", str(port)],
        "daemon": [tool("dagster-daemon"), "run", "-m", code_location],
    }


def serve(settings: Settings, host: str, port: int, code_location: str = CODE_LOCATION) -> int:
    """Run the webserver and the daemon until either stops or the service is told to stop
    (SIGTERM from systemd or a container runtime, or Ctrl-C); then stop both."""
    home = dagster_home(settings)
    instance_file = write_instance(home)
    storage = "PostgreSQL" if os.environ.get(POSTGRES_URL_VARIABLE) else f"SQLite in {home}"
    print(f"Dagster instance: {instance_file} (run history: {storage})", flush=True)
    print(f"UI: http://{host}:{port}  (the daemon runs the schedule, sensors and the run queue)", flush=True)
    environment = {
        **os.environ,
        **service_environment(home),
        # The runs the daemon launches call dbt; it sits beside this Python.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    # The instance's storage is created (or migrated) once, here: the webserver and the daemon
    # creating a fresh SQLite storage at the same moment race on its schema version and stop.
    subprocess.run([tool("dagster"), "instance", "migrate"], env=environment, cwd=PROJECT_ROOT, check=True)
    processes = {
        name: subprocess.Popen(command, env=environment, cwd=PROJECT_ROOT)
        for name, command in service_commands(host, port, code_location).items()
    }
    service_file = home / SERVICE_FILE
    service_file.write_text(json.dumps({"code_location": code_location, "pid": os.getpid()}), encoding="utf-8")
    stopping = False

    def stop(_signal_number, _frame) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stopping and all(process.poll() is None for process in processes.values()):
            time.sleep(0.5)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        service_file.unlink(missing_ok=True)
    exited = [name for name, process in processes.items() if process.returncode not in (0, -signal.SIGTERM)]
    if exited and not stopping:
        print(f"Stopped: the {' and the '.join(exited)} exited", file=sys.stderr)
        return 1
    return 0
