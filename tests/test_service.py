"""The service a council leaves running: `sendkpi serve` (Dagster webserver + daemon) against a
real PostgreSQL, where a schedule tick launches a run that publishes and the run history is
kept in PostgreSQL (full lane: a few minutes).

PostgreSQL is the machine's own (Debian's postgresql package: initdb, pg_ctl); the test
skips, saying why, where it is missing or cannot be started as the postgres user.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from pipelines.service import instance_config, postgres_driver_url, service_environment
from pipelines.settings import PROJECT_ROOT
from tests.conftest import environment, run_together, write_sample
from tests.service_location import EVERY_MINUTE_SCHEDULE

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", "postgres", "--", *command], capture_output=True, text=True, timeout=120)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server of its own on a free loopback port, with a database `dagster`."""
    if not (shutil.which("initdb") and shutil.which("pg_ctl") and shutil.which("runuser")):
        pytest.skip("PostgreSQL's initdb/pg_ctl (Debian package postgresql) or runuser is not installed")
    if os.geteuid() != 0:
        pytest.skip("starting PostgreSQL as the postgres user needs root here (runuser)")
    folder = Path(tempfile.mkdtemp(prefix="sendkpi-postgres-"))
    shutil.chown(folder, "postgres")
    cluster, port = folder / "cluster", _free_port()
    initialised = _as_postgres("initdb", "-D", str(cluster), "--auth=trust", "-U", "postgres")
    if initialised.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"initdb failed: {initialised.stderr[-500:]}")
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {folder}"
    started = _as_postgres("pg_ctl", "-D", str(cluster), "-o", options, "-l", str(folder / "log"), "-w", "start")
    assert started.returncode == 0, started.stderr + (folder / "log").read_text()
    try:
        created = _as_postgres("createdb", "-h", "127.0.0.1", "-p", str(port), "dagster")
        assert created.returncode == 0, created.stderr
        yield f"postgresql://postgres@127.0.0.1:{port}/dagster"
    finally:
        _as_postgres("pg_ctl", "-D", str(cluster), "-m", "fast", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def test_a_plain_postgres_url_names_the_driver_dagster_postgres_is_written_for():
    assert postgres_driver_url("postgresql://u:p@db:5432/dagster") == "postgresql+psycopg2://u:p@db:5432/dagster"
    assert postgres_driver_url("postgres://u@db/dagster") == "postgresql+psycopg2://u@db/dagster"
    assert postgres_driver_url("postgresql+psycopg2://u@db/x") == "postgresql+psycopg2://u@db/x"


def test_the_service_and_a_command_submitting_to_it_see_one_home_and_the_driver_url(tmp_path):
    with environment(SENDKPI_POSTGRES_URL="postgres://u@db/dagster"):
        assert service_environment(tmp_path) == {
            "DAGSTER_HOME": str(tmp_path),
            "SENDKPI_POSTGRES_URL": "postgresql+psycopg2://u@db/dagster",
        }
    with environment(SENDKPI_POSTGRES_URL=None):
        assert service_environment(tmp_path) == {"DAGSTER_HOME": str(tmp_path)}


def test_the_instance_uses_postgres_only_when_a_url_is_set():
    assert "storage" not in instance_config(use_postgres=False)
    with_postgres = instance_config(use_postgres=True)
    # The URL stays in the environment: Dagster reads it there, it is never written to disk.
    assert with_postgres["storage"] == {"postgres": {"postgres_url": {"env": "SENDKPI_POSTGRES_URL"}}}
    limits = with_postgres["run_coordinator"]["config"]["tag_concurrency_limits"]
    assert {"key": "sendkpi/warehouse", "limit": 1} in limits


def test_a_schedule_tick_under_the_daemon_publishes_and_the_history_is_in_postgres(tmp_path, postgres_url):
    import psycopg2

    data_dir = tmp_path / "data"
    benchmarks = write_sample(data_dir)
    home = tmp_path / "dagster_home"
    service_environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith("SENDKPI_")},
        "SENDKPI_DATA_DIR": str(data_dir),
        "SENDKPI_BENCHMARKS_DIR": str(benchmarks),
        "SENDKPI_HOME_LA": "990",
        "SENDKPI_POSTGRES_URL": postgres_url,
        "DAGSTER_HOME": str(home),
    }
    service, log, web_port = _start_service(tmp_path, "tests.service_location", service_environment)
    try:
        run = _wait_for_scheduled_run(home, service_environment, service, log, deadline_seconds=420)
        assert run.status == dg.DagsterRunStatus.SUCCESS, f"the scheduled run ended {run.status}"
        assert (data_dir / "published" / "scorecard.html").is_file()
        assert (data_dir / "marts" / "kpi_comparison.parquet").is_file()
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/server_info", timeout=30) as answer:
            assert answer.status == 200  # the UI is up beside the daemon
        with psycopg2.connect(postgres_url) as connection, connection.cursor() as cursor:
            cursor.execute("select run_id, status from runs")
            history = dict(cursor.fetchall())
        assert history.get(run.run_id) == "SUCCESS", history
    finally:
        _stop_service(service)
    assert service.returncode == 0, log.read_text()[-3000:]


def _wait_for_scheduled_run(
    home: Path, environment_for_service: dict[str, str], service: subprocess.Popen, log: Path, deadline_seconds: int
) -> dg.DagsterRun:
    """The first run the test schedule launched, once it has finished."""
    with environment(
        DAGSTER_HOME=environment_for_service["DAGSTER_HOME"],
        SENDKPI_POSTGRES_URL=postgres_driver_url(environment_for_service["SENDKPI_POSTGRES_URL"]),
    ):
        give_up = time.monotonic() + deadline_seconds
        while time.monotonic() < give_up:
            time.sleep(5)
            if service.poll() is not None:
                pytest.fail(f"the service stopped ({service.returncode}):\n{log.read_text()[-3000:]}")
            if not (home / "dagster.yaml").is_file():
                continue
            with dg.DagsterInstance.from_config(str(home)) as instance:
                runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/schedule_name": EVERY_MINUTE_SCHEDULE}))
                finished = [run for run in runs if run.is_finished]
                if finished:
                    return finished[-1]
        pytest.fail(f"no scheduled run finished within {deadline_seconds} s:\n{log.read_text()[-4000:]}")


def _start_service(tmp_path: Path, code_location: str, extra_environment: dict[str, str]):
    """`sendkpi serve` (pipelines.service.serve) on a free port, its output in service.log;
    the process, the log and the port."""
    web_port = _free_port()
    script = (
        "import sys; from pipelines.service import serve; from pipelines.settings import load_settings; "
        f"sys.exit(serve(load_settings(), '127.0.0.1', {web_port}, {code_location!r}))"
    )
    log = tmp_path / "service.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-c", script],
            env=extra_environment,
            cwd=PROJECT_ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return process, log, web_port


def _stop_service(service: subprocess.Popen) -> None:
    service.send_signal(signal.SIGTERM)
    try:
        service.wait(timeout=90)
    except subprocess.TimeoutExpired:
        service.kill()
        service.wait()


def test_command_line_runs_join_the_services_queue_and_write_one_after_the_other(tmp_path):
    """With `sendkpi serve` running (SQLite history here), two `sendkpi materialise` started
    together are both submitted to its queue: both succeed, never at the same time, one saying
    it waits its turn; the runs are in the service's history and the service reports them."""
    from pipelines.run_queue import queue_is_served, running_service
    from pipelines.service import SERVICE_FILE
    from pipelines.settings import load_settings

    data_dir = tmp_path / "data"
    benchmarks = write_sample(data_dir)
    home = tmp_path / "dagster_home"
    service_environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith("SENDKPI_")},
        "SENDKPI_DATA_DIR": str(data_dir),
        "SENDKPI_BENCHMARKS_DIR": str(benchmarks),
        "SENDKPI_HOME_LA": "990",
        "DAGSTER_HOME": str(home),
    }
    service, log, _ = _start_service(tmp_path, "tests.queue_location", service_environment)
    try:
        ours = {name: value for name, value in service_environment.items() if name.startswith(("SENDKPI_", "DAGSTER_"))}
        with environment(**ours):
            give_up = time.monotonic() + 180
            while True:
                assert service.poll() is None, log.read_text()[-3000:]
                found = running_service(load_settings())
                if found is not None:
                    with dg.DagsterInstance.from_config(str(home)) as instance:
                        if queue_is_served(instance):
                            break
                assert time.monotonic() < give_up, f"the daemon never beat:\n{log.read_text()[-3000:]}"
                time.sleep(2)
        sendkpi = str(Path(sys.executable).parent / "sendkpi")
        finished = run_together([sendkpi, "materialise"], service_environment, tmp_path)
        outputs = [output for _, output in finished]
        said = "\n----\n".join(outputs)
        assert [code for code, _ in finished] == [0, 0], f"{said}\n---- the service's log:\n{log.read_text()[-6000:]}"
        assert all("Submitted to the service's run queue" in output for output in outputs), outputs
        assert any("this run waits its turn" in output for output in outputs), outputs
        with dg.DagsterInstance.from_config(str(home)) as instance:
            records = instance.get_run_records(
                filters=dg.RunsFilter(tags={"sendkpi/launched_by": "cli-via-service"}), order_by="create_timestamp"
            )
            assert [record.dagster_run.status for record in records] == [dg.DagsterRunStatus.SUCCESS] * 2
            first, second = sorted(records, key=lambda record: record.start_time)
            assert first.end_time <= second.start_time  # one writer at a time
        # The service's report sensor writes each run's report (the command line does not).
        give_up = time.monotonic() + 120
        while len(list((data_dir / "run_reports").glob("*.md"))) < 2 and time.monotonic() < give_up:
            time.sleep(3)
        assert len(list((data_dir / "run_reports").glob("*.md"))) == 2
    finally:
        _stop_service(service)
    assert service.returncode == 0, log.read_text()[-3000:]
    assert not (home / SERVICE_FILE).exists()


def test_no_service_means_the_command_line_runs_in_process(tmp_path):
    from pipelines.run_queue import running_service
    from pipelines.service import SERVICE_FILE
    from pipelines.settings import load_settings

    home = tmp_path / "home"
    home.mkdir()
    with environment(DAGSTER_HOME=str(home)):
        assert running_service(load_settings()) is None
        # A service that was killed leaves its file behind: its process is gone, so no service.
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        (home / SERVICE_FILE).write_text(json.dumps({"code_location": "pipelines.definitions", "pid": gone.pid}))
        assert running_service(load_settings()) is None
        (home / SERVICE_FILE).write_text(json.dumps({"code_location": "pipelines.definitions", "pid": os.getpid()}))
        found = running_service(load_settings())
    assert found is not None and found.code_location == "pipelines.definitions" and found.home == home.resolve()
