"""`sendkpi benchmarks fetch`, offline: a real HTTP server on 127.0.0.1 serves recorded EES API
responses (hand-written JSON in tests/fixtures/ees_api/, CSV bodies cut from the synthetic
sample's DfE-layout files) and the real fetch code runs
against it through the settings, as an analyst would run it."""

from __future__ import annotations

import json
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg
import pytest

from pipelines import cli
from pipelines.fetch import FetchError, fetch_benchmarks
from pipelines.ingest.dfe import recognise
from pipelines.ingest.files import file_sha256
from pipelines.settings import CONFIG_FILE, DEFAULT_EES_API_URL, SettingsError, load_settings
from synthetic_sample import write_sample_benchmarks
from tests.conftest import environment

# Hand-written API answers (JSON) live in the repository; the CSV bodies are built per test
# session from the synthetic sample, which writes DfE's exact layouts (real DfE rows are not
# copied into the repository): see `recorded_csv_bodies` below.
RECORDED_JSON = Path(__file__).parent / "fixtures" / "ees_api"
FIXTURES = RECORDED_JSON  # replaced by the session folder holding JSON and CSV bodies
# EES labels in place of column names: a layout the loader does not know.
EES_LABELS = {
    "plans_issued_den": "Number of EHC plans issued inc. exceptions",
    "plans_issued_den_ex": "Number of EHC plans issued exc. exceptions",
    "plans_issued_20_weeks_ex": "EHC plans issued within 20 weeks exc. exceptions",
}


def _first_rows(path: Path, rows: int) -> bytes:
    """The header and the first rows of a file, byte for byte (BOM and line endings kept)."""
    return b"".join(path.read_bytes().splitlines(keepends=True)[: rows + 1])


@pytest.fixture(scope="session", autouse=True)
def recorded_csv_bodies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CSV bodies as the API would send them, cut from the synthetic sample's DfE-layout files."""
    global FIXTURES
    sample = tmp_path_factory.mktemp("sample_benchmarks")
    write_sample_benchmarks(sample)
    folder = tmp_path_factory.mktemp("ees_api")
    for recorded in RECORDED_JSON.glob("*.json"):
        shutil.copy(recorded, folder / recorded.name)
    timeliness = _first_rows(next(sample.rglob("timeliness_20_week*.csv")), 5)
    requests = _first_rows(next(sample.rglob("requests*.csv")), 5)
    (folder / "timeliness_20_week.csv").write_bytes(timeliness)
    (folder / "requests.csv").write_bytes(requests)
    (folder / "requests_header_only.csv").write_bytes(_first_rows(next(sample.rglob("requests*.csv")), 0))
    header, rest = timeliness.split(b"\n", 1)
    labelled = header.decode("utf-8-sig")
    for name, label in EES_LABELS.items():
        labelled = labelled.replace(f",{name},", f",{label},")
    (folder / "timeliness_20_week_labelled.csv").write_bytes(("\ufeff" + labelled).encode() + b"\n" + rest)
    FIXTURES = folder
    return folder


TIMELINESS_ID = "5b1d3c2e-7f4a-4c1b-9e2d-1a2b3c4d5e01"
REQUESTS_ID = "5b1d3c2e-7f4a-4c1b-9e2d-1a2b3c4d5e02"


# --- a local EES API --------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes
    # announce more bytes than are sent: a body cut short
    content_length: int | None = None
    # seconds to wait before answering (the server gives up waiting when the test ends)
    delay: float = 0.0


class FakeApi(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.routes: dict[str, Response] = {}
        self.requests: list[str] = []
        # path -> how many more times to answer 503 Service Unavailable before the route
        self.unavailable: dict[str, int] = {}
        self.released = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def serve(self, data_set_id: str, summary: str | dict, csv: str | bytes | Response) -> None:
        """Answer for one data set: its summary (a fixture name or a dict) and its CSV."""
        document = json.loads((FIXTURES / summary).read_text()) if isinstance(summary, str) else summary
        document["id"] = data_set_id
        self.routes[f"/v1/data-sets/{data_set_id}"] = Response(200, "application/json", json.dumps(document).encode())
        if not isinstance(csv, Response):
            csv = Response(200, "text/csv", csv if isinstance(csv, bytes) else (FIXTURES / csv).read_bytes())
        self.routes[f"/v1/data-sets/{data_set_id}/csv"] = csv


class Handler(BaseHTTPRequestHandler):
    server: FakeApi

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.requests.append(self.path)
        path = urlsplit(self.path).path
        response = self.server.routes.get(path) or Response(
            404, "application/problem+json", (FIXTURES / "not_found.problem.json").read_bytes()
        )
        if self.server.unavailable.get(path, 0) > 0:
            self.server.unavailable[path] -= 1
            response = Response(503, "application/problem+json", b'{"title": "Service Unavailable"}')
        if response.delay:
            self.server.released.wait(response.delay)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(response.content_length or len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def api() -> Iterator[FakeApi]:
    server = FakeApi()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.released.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def data_dir(tmp_path, monkeypatch, api) -> Path:
    """The settings point at a temporary data folder and at the local API, by environment."""
    for name in (
        "SENDKPI_HOME_LA",
        "SENDKPI_BENCHMARKS_DIR",
        "SENDKPI_SN_MODEL",
        "SENDKPI_SMALL_COUNT_THRESHOLD",
        "SENDKPI_PSEUDONYMISATION_KEY",
        "SENDKPI_PSEUDONYMISATION_KEY_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "data"
    monkeypatch.setenv("SENDKPI_DATA_DIR", str(folder))
    monkeypatch.setenv("SENDKPI_EES_API_URL", api.url)
    return folder


def configure(tmp_path: Path, timeout: int = 10, backoff: float = 0, **data_sets: str) -> Path:
    """A sendkpi.toml for these data sets; no wait between retries unless asked for."""
    lines = ["[fetch]", f"timeout_seconds = {timeout}", f"retry_backoff_seconds = {backoff}", "[fetch.data_sets]"]
    lines += [f'{name} = "{data_set_id}"' for name, data_set_id in data_sets.items()]
    path = tmp_path / "sendkpi.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_cli(config: Path, monkeypatch, capsys) -> tuple[int, str, str]:
    """`sendkpi benchmarks fetch`, reading this test's sendkpi.toml."""
    monkeypatch.setattr(cli, "load_settings", lambda: load_settings(config))
    code = cli.main(["benchmarks", "fetch"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def provenance(data_dir: Path) -> dict:
    return json.loads((data_dir / "raw" / "benchmarks" / "provenance.json").read_text())["data_sets"]


def files_in(folder: Path) -> list[str]:
    """Every file, hidden ones included: a failed or finished fetch leaves no temporary files."""
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())


def both(api: FakeApi, tmp_path: Path) -> Path:
    api.serve(TIMELINESS_ID, "timeliness_20_week.summary.json", "timeliness_20_week.csv")
    api.serve(REQUESTS_ID, "requests.summary.json", "requests.csv")
    return configure(tmp_path, timeliness_20_week=TIMELINESS_ID, requests=REQUESTS_ID)


# --- success ----------------------------------------------------------------------------------------


def test_fetch_writes_recognised_files_and_records_their_provenance(api, data_dir, tmp_path, monkeypatch, capsys):
    code, out, err = run_cli(both(api, tmp_path), monkeypatch, capsys)

    assert (code, err) == (0, "")
    benchmarks = data_dir / "raw" / "benchmarks"
    assert files_in(benchmarks) == [
        "provenance.json",
        "requests/requests_2.0.csv",
        "timeliness_20_week/timeliness_20_week_2.0.csv",
    ]
    timeliness = benchmarks / "timeliness_20_week" / "timeliness_20_week_2.0.csv"
    assert timeliness.read_bytes() == (FIXTURES / "timeliness_20_week.csv").read_bytes()
    assert [layout.table for layout in recognise(timeliness).layouts] == ["dfe_ehcp_timeliness"]
    assert [layout.table for layout in recognise(benchmarks / "requests" / "requests_2.0.csv").layouts] == [
        "dfe_ehcp_requests"
    ]
    # The CSV asked for is the version the summary named.
    assert f"/v1/data-sets/{TIMELINESS_ID}/csv?dataSetVersion=2.0" in api.requests

    recorded = provenance(data_dir)
    assert set(recorded) == {"timeliness_20_week", "requests"}
    entry = recorded["timeliness_20_week"]
    assert entry["id"] == TIMELINESS_ID
    assert entry["version"] == "2.0"
    assert entry["title"].startswith("Timeliness of new education, health and care plans")
    assert entry["published"] == "2025-06-26T09:30:00+00:00"
    assert entry["url"] == f"{api.url}/data-sets/{TIMELINESS_ID}/csv?dataSetVersion=2.0"
    assert entry["sha256"] == file_sha256(timeliness)
    assert entry["rows"] == 5
    assert entry["file"] == "timeliness_20_week/timeliness_20_week_2.0.csv"
    assert entry["table"] == "dfe_ehcp_timeliness"
    assert entry["fetched_at"].endswith("+00:00")

    assert "timeliness_20_week: version 2.0" in out and "5 rows" in out
    assert "Fetched 2 of 2 data sets" in out
    # The pipeline still reads the synthetic sample: say how to use the fetched files.
    assert "set benchmarks_dir" in out


def test_fetched_files_load_through_the_dfe_loader(api, data_dir, tmp_path):
    import duckdb

    from pipelines.ingest.dfe import load_published_folder

    fetch_benchmarks(load_settings(both(api, tmp_path)))
    connection = duckdb.connect()
    load_published_folder(connection, data_dir / "raw" / "benchmarks")

    assert connection.execute("select count(*), min(release) from raw.dfe_ehcp_timeliness").fetchone() == (
        5,
        "dfe_ehcp_2020",
    )
    assert connection.execute("select count(*) from raw.dfe_ehcp_requests").fetchone() == (5,)


# --- rejected downloads -----------------------------------------------------------------------------


def test_unknown_layout_is_rejected_naming_its_columns_and_the_others_are_still_fetched(
    api, data_dir, tmp_path, monkeypatch, capsys
):
    api.serve(TIMELINESS_ID, "timeliness_20_week.summary.json", "timeliness_20_week_labelled.csv")
    api.serve(REQUESTS_ID, "requests.summary.json", "requests.csv")
    config = configure(tmp_path, timeliness_20_week=TIMELINESS_ID, requests=REQUESTS_ID)

    code, out, err = run_cli(config, monkeypatch, capsys)

    assert code == 1
    assert "timeliness_20_week: FAILED (layout not recognised)" in err
    assert (
        "columns missing for dfe_ehcp_timeliness: plans_issued_den, plans_issued_den_ex, plans_issued_20_weeks_ex"
        in err
    )
    assert "number of ehc plans issued inc. exceptions" in err
    assert "Traceback" not in err
    assert files_in(data_dir / "raw" / "benchmarks") == ["provenance.json", "requests/requests_2.0.csv"]
    assert set(provenance(data_dir)) == {"requests"}
    assert "Fetched 1 of 2 data sets" in out


def test_a_file_in_another_data_sets_layout_is_rejected(api, data_dir, tmp_path):
    api.serve(TIMELINESS_ID, "timeliness_20_week.summary.json", "requests.csv")

    [outcome] = fetch_benchmarks(load_settings(configure(tmp_path, timeliness_20_week=TIMELINESS_ID)))

    assert not outcome.ok
    assert (
        "it is EHC plans release: requests for EHC needs assessment, not a file for dfe_ehcp_timeliness"
        in outcome.message
    )
    assert files_in(data_dir / "raw" / "benchmarks") == []


def test_header_only_csv_is_rejected(api, data_dir, tmp_path):
    api.serve(REQUESTS_ID, "requests.summary.json", "requests_header_only.csv")

    [outcome] = fetch_benchmarks(load_settings(configure(tmp_path, requests=REQUESTS_ID)))

    assert not outcome.ok
    assert outcome.message.startswith("requests: FAILED (no data rows): only a header arrived")
    assert files_in(data_dir / "raw" / "benchmarks") == []


def test_a_failure_keeps_the_data_sets_last_good_version_and_touches_no_other(api, data_dir, tmp_path):
    config = both(api, tmp_path)
    settings = load_settings(config)
    fetch_benchmarks(settings)
    before = {
        path: file_sha256(data_dir / "raw" / "benchmarks" / path) for path in files_in(data_dir / "raw" / "benchmarks")
    }
    recorded = provenance(data_dir)

    # DfE publish 2.1 of the timeliness data set in a layout the loader does not know.
    summary = json.loads((FIXTURES / "timeliness_20_week.summary.json").read_text())
    summary["latestVersion"]["version"] = "2.1"
    api.serve(TIMELINESS_ID, summary, "timeliness_20_week_labelled.csv")
    outcomes = fetch_benchmarks(settings)

    assert [outcome.ok for outcome in outcomes] == [False, True]
    after = files_in(data_dir / "raw" / "benchmarks")
    assert after == sorted(before)
    timeliness = "timeliness_20_week/timeliness_20_week_2.0.csv"
    assert file_sha256(data_dir / "raw" / "benchmarks" / timeliness) == before[timeliness]
    assert provenance(data_dir)["timeliness_20_week"] == recorded["timeliness_20_week"]


# --- HTTP and network errors ------------------------------------------------------------------------


def test_http_errors_give_one_clear_line_per_data_set(api, data_dir, tmp_path, monkeypatch, capsys):
    # No summary for the timeliness id (404); the requests CSV fails on the server (500).
    api.serve(
        REQUESTS_ID,
        "requests.summary.json",
        Response(500, "application/problem+json", (FIXTURES / "server_error.problem.json").read_bytes()),
    )
    config = configure(tmp_path, timeliness_20_week=TIMELINESS_ID, requests=REQUESTS_ID)

    code, out, err = run_cli(config, monkeypatch, capsys)

    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in err
    assert lines[0].startswith("timeliness_20_week: FAILED (HTTP 404 Not Found): GET ")
    assert f"/data-sets/{TIMELINESS_ID}: Not Found" in lines[0]
    assert "is the data set id in [fetch.data_sets] of sendkpi.toml right?" in lines[0]
    assert lines[1].startswith("requests: FAILED (HTTP 500 Internal Server Error): GET ")
    assert "/csv?dataSetVersion=2.0: An error occurred while processing your request." in lines[1]
    assert files_in(data_dir / "raw" / "benchmarks") == []
    assert "Fetched 0 of 2 data sets" in out


def test_unreachable_api_is_one_line_not_a_traceback(data_dir, tmp_path, monkeypatch, capsys):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("SENDKPI_EES_API_URL", f"http://127.0.0.1:{closed_port}/v1")

    code, out, err = run_cli(configure(tmp_path, requests=REQUESTS_ID), monkeypatch, capsys)

    assert code == 1
    assert err.strip().splitlines() == [
        f"requests: FAILED (network error): cannot reach 127.0.0.1:{closed_port}: Connection refused "
        f"(GET http://127.0.0.1:{closed_port}/v1/data-sets/{REQUESTS_ID}), after 4 attempts"
    ]


def test_every_request_has_a_timeout(api, data_dir, tmp_path):
    api.serve(
        REQUESTS_ID,
        "requests.summary.json",
        Response(200, "text/csv", (FIXTURES / "requests.csv").read_bytes(), delay=30),
    )

    [outcome] = fetch_benchmarks(load_settings(configure(tmp_path, timeout=1, requests=REQUESTS_ID)))

    assert outcome.message.startswith("requests: FAILED (timed out): no answer from 127.0.0.1:")
    assert files_in(data_dir / "raw" / "benchmarks" / "requests") == []


def test_a_body_cut_short_is_not_kept(api, data_dir, tmp_path):
    body = (FIXTURES / "requests.csv").read_bytes()
    api.serve(REQUESTS_ID, "requests.summary.json", Response(200, "text/csv", body, content_length=len(body) + 500))

    [outcome] = fetch_benchmarks(load_settings(configure(tmp_path, requests=REQUESTS_ID)))

    assert outcome.message.startswith("requests: FAILED (incomplete download)")
    assert f"{len(body)} of {len(body) + 500} bytes arrived" in outcome.message
    assert files_in(data_dir / "raw" / "benchmarks") == []


# --- fetching again ---------------------------------------------------------------------------------


def test_fetching_the_same_version_again_replaces_the_file_atomically_and_updates_provenance(api, data_dir, tmp_path):
    settings = load_settings(both(api, tmp_path))
    fetch_benchmarks(settings)
    path = data_dir / "raw" / "benchmarks" / "requests" / "requests_2.0.csv"
    first_inode, first = path.stat().st_ino, provenance(data_dir)["requests"]

    # DfE correct version 2.0 in place: one row fewer.
    corrected = b"".join((FIXTURES / "requests.csv").read_bytes().splitlines(keepends=True)[:-1])
    api.serve(REQUESTS_ID, "requests.summary.json", corrected)
    outcomes = fetch_benchmarks(settings)

    assert all(outcome.ok for outcome in outcomes)
    assert path.read_bytes() == corrected
    # A new file renamed over the old one, not the old one rewritten: readers see one or the other.
    assert path.stat().st_ino != first_inode
    second = provenance(data_dir)["requests"]
    assert (second["rows"], second["sha256"]) == (4, file_sha256(path))
    assert second["sha256"] != first["sha256"]
    assert second["replaced"] == []
    assert files_in(data_dir / "raw" / "benchmarks" / "requests") == ["requests_2.0.csv"]
    assert "note: the API reports 5 results, the CSV has 4 rows" in outcomes[1].message


def test_a_new_version_replaces_the_previous_one(api, data_dir, tmp_path):
    settings = load_settings(both(api, tmp_path))
    fetch_benchmarks(settings)
    summary = json.loads((FIXTURES / "requests.summary.json").read_text())
    summary["latestVersion"]["version"] = "2.1"
    api.serve(REQUESTS_ID, summary, "requests.csv")

    outcomes = fetch_benchmarks(settings)

    # The loader reads every CSV in the folder: two versions of one release would double count.
    assert files_in(data_dir / "raw" / "benchmarks" / "requests") == ["requests_2.1.csv"]
    assert provenance(data_dir)["requests"]["replaced"] == ["requests_2.0.csv"]
    assert "replaced requests_2.0.csv" in outcomes[1].message
    assert files_in(data_dir / "raw" / "benchmarks" / "timeliness_20_week") == ["timeliness_20_week_2.0.csv"]


# --- configuration ----------------------------------------------------------------------------------


def test_repository_config_has_placeholder_ids_that_are_reported_without_a_request(api, data_dir):
    settings = load_settings(CONFIG_FILE)
    assert set(settings.fetch.data_sets) == {"timeliness_20_week", "requests", "assessments", "annual_reviews"}
    assert settings.fetch.ees_api_url == api.url  # SENDKPI_EES_API_URL overrides the file

    outcomes = fetch_benchmarks(settings)

    assert [outcome.ok for outcome in outcomes] == [False] * 4
    assert all("(not configured)" in outcome.message and "API data set ID" in outcome.message for outcome in outcomes)
    assert api.requests == []


def test_fetch_settings_defaults_and_validation(tmp_path, monkeypatch):
    monkeypatch.delenv("SENDKPI_EES_API_URL", raising=False)
    absent = load_settings(tmp_path / "absent.toml")
    assert (absent.fetch.ees_api_url, absent.fetch.timeout_seconds, absent.fetch.data_sets) == (
        DEFAULT_EES_API_URL,
        60,
        {},
    )

    config = tmp_path / "sendkpi.toml"
    for text, problem in [
        ('[fetch]\nees_api_url = "file:///etc"\n', "must be an http(s) address"),
        ("[fetch]\ntimeout_seconds = 0\n", "fetch.timeout_seconds"),
        ('[fetch.data_sets]\n"../x" = "id"\n', "snake_case"),
    ]:
        config.write_text(text, encoding="utf-8")
        with pytest.raises(SettingsError, match=problem.replace("(", r"\(").replace(")", r"\)")):
            load_settings(config)


def test_unreadable_provenance_stops_the_fetch_before_any_download(api, data_dir, tmp_path, monkeypatch, capsys):
    (data_dir / "raw" / "benchmarks").mkdir(parents=True)
    (data_dir / "raw" / "benchmarks" / "provenance.json").write_text("{not json", encoding="utf-8")
    config = both(api, tmp_path)

    with pytest.raises(FetchError, match="repair or move it"):
        fetch_benchmarks(load_settings(config))
    code, _, err = run_cli(config, monkeypatch, capsys)

    assert code == 1 and "provenance.json cannot be read" in err
    assert api.requests == []


# --- a slow or failing service -------------------------------------------------------------------


def test_a_service_that_fails_twice_then_answers_is_retried_with_back_off(api, data_dir, tmp_path, monkeypatch):
    import pipelines.fetch as fetch_module

    api.serve(REQUESTS_ID, "requests.summary.json", "requests.csv")
    summary_path = f"/v1/data-sets/{REQUESTS_ID}"
    api.unavailable[summary_path] = 2
    waits: list[float] = []
    monkeypatch.setattr(fetch_module.time, "sleep", waits.append)
    settings = load_settings(configure(tmp_path, backoff=2, requests=REQUESTS_ID))

    [outcome] = fetch_benchmarks(settings)

    assert outcome.ok, outcome.message
    assert [urlsplit(path).path for path in api.requests].count(summary_path) == 3
    assert waits == [2.0, 4.0]  # the back-off doubles
    assert provenance(data_dir)["requests"]["version"] == "2.0"


def test_a_service_that_stays_unavailable_gives_up_after_the_retries_and_keeps_the_last_good_file(
    api, data_dir, tmp_path, monkeypatch
):
    import pipelines.fetch as fetch_module

    monkeypatch.setattr(fetch_module.time, "sleep", lambda seconds: None)
    api.serve(REQUESTS_ID, "requests.summary.json", "requests.csv")
    config = configure(tmp_path, requests=REQUESTS_ID)
    [first] = fetch_benchmarks(load_settings(config))
    assert first.ok
    before = (files_in(data_dir / "raw" / "benchmarks"), provenance(data_dir))
    api.unavailable[f"/v1/data-sets/{REQUESTS_ID}/csv"] = 10

    [outcome] = fetch_benchmarks(load_settings(config))

    assert not outcome.ok
    assert "HTTP 503 Service Unavailable" in outcome.message and outcome.message.endswith(", after 4 attempts")
    assert (files_in(data_dir / "raw" / "benchmarks"), provenance(data_dir)) == before


def test_a_not_found_is_not_asked_again(api, data_dir, tmp_path):
    [outcome] = fetch_benchmarks(load_settings(configure(tmp_path, backoff=30, requests=REQUESTS_ID)))
    assert not outcome.ok and "HTTP 404" in outcome.message and "attempts" not in outcome.message
    assert len(api.requests) == 1


# --- the fetch as a Dagster asset (monthly schedule) --------------------------------------------


def _materialise_fetch(config: Path) -> dg.ExecuteInProcessResult:
    from pipelines.definitions import defs

    with environment(SENDKPI_CONFIG=str(config)):
        return defs.resolve_job_def("fetch_dfe_releases").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
        )


def _materialisation(result: dg.ExecuteInProcessResult):
    [event] = result.get_asset_materialization_events()
    return event.step_materialization_data.materialization


def test_the_fetch_asset_records_provenance_and_a_content_data_version(api, data_dir, tmp_path):
    config = both(api, tmp_path)

    first = _materialise_fetch(config)

    assert first.success
    materialisation = _materialisation(first)
    assert materialisation.metadata["fetched"].value == 2
    assert set(materialisation.metadata["provenance"].value["data_sets"]) == {"timeliness_20_week", "requests"}
    version = materialisation.tags["dagster/data_version"]
    # The same files again: the same data version; another file: another.
    assert _materialisation(_materialise_fetch(config)).tags["dagster/data_version"] == version
    api.serve(TIMELINESS_ID, "timeliness_20_week.summary.json", "requests.csv")  # a wrong layout now
    failed_one = _materialise_fetch(config)
    assert failed_one.success  # one of two fetched: the asset says which failed
    assert "timeliness_20_week: FAILED" in _materialisation(failed_one).metadata["failed"].value
    assert _materialisation(failed_one).tags["dagster/data_version"] == version  # last good files kept


def test_the_fetch_asset_fails_when_nothing_could_be_fetched_and_keeps_the_last_good_files(api, data_dir, tmp_path):
    config = both(api, tmp_path)
    assert _materialise_fetch(config).success
    before = (files_in(data_dir / "raw" / "benchmarks"), provenance(data_dir))
    api.routes.clear()  # every request now 404

    result = _materialise_fetch(config)

    assert not result.success
    assert (files_in(data_dir / "raw" / "benchmarks"), provenance(data_dir)) == before


def test_the_monthly_fetch_is_off_until_configured_and_outside_the_refresh():
    from pipelines.definitions import defs

    schedule = defs.resolve_schedule_def("monthly_dfe_fetch")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert schedule.cron_schedule == "0 3 1 * *"
    refreshed = {key.to_user_string() for key in defs.resolve_job_def("refresh_all").asset_layer.executable_asset_keys}
    assert "benchmarks/dfe_releases" not in refreshed and "published/marts" in refreshed
