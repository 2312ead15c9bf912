"""`sendkpi benchmarks fetch`: download DfE's current releases from the explore education
statistics (EES) public API, check what arrived, and record where it came from.

The API (https://api.education.gov.uk/statistics/docs/, version 1), as documented:
  GET {base}/data-sets/{dataSetId}
      the data set's summary: id, title, summary, status (Published, Deprecated, Withdrawn),
      latestVersion {version ("2.0", "1.1"), published, totalResults, ...}, supersedingDataSetId
  GET {base}/data-sets/{dataSetId}/csv?dataSetVersion={version}
      that version as CSV. DfE warn that the CSV "is not subject to the same backward
      compatibility guarantees" as the JSON endpoints, which is why every file is checked.
  Errors (404 and others) come back as JSON problem details (title, detail).

Each configured data set is fetched on its own, and a failure touches nothing but the new file:
1. read the summary, and pin the CSV request to the version it names (a version published
   between the two requests cannot make the file disagree with its recorded provenance);
2. stream the CSV into a hidden temporary file beside its destination (the DfE loader skips
   dot-files, so a killed fetch leaves nothing it would read);
3. check the temporary file: the project's DfE loader recognises its layout, the layout feeds
   the data set's canonical table, and it has at least one data row;
4. rename it over `<name>/<name>_<version>.csv` (one atomic step), then remove this data set's
   other versions (the loader reads every CSV in the folder: two versions of one release would
   count every row twice);
5. record the version, its checksum and row count in provenance.json.
"""

from __future__ import annotations

import csv
import gzip
import http.client
import json
import os
import re
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipelines.ingest.dfe import LAYOUTS, recognise
from pipelines.ingest.files import file_sha256
from pipelines.settings import FetchSettings, Settings

# The canonical table each data set must feed: a data set that arrives in another layout is
# refused. Fetching another data set means adding it here (and its layout to the DfE loader).
EXPECTED_TABLES = {
    "timeliness_20_week": "dfe_ehcp_timeliness",
    "requests": "dfe_ehcp_requests",
    "assessments": "dfe_ehcp_assessments",
    "annual_reviews": "dfe_ehcp_annual_reviews",
}

PROVENANCE_FILE = "provenance.json"
USER_AGENT = "sendkpi-benchmarks-fetch (SEND KPI warehouse)"
# EES data set ids are UUIDs (the API documents supersedingDataSetId as a uuid and every id in
# the data catalogue is one); anything else is a placeholder not yet replaced.
_DATA_SET_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Versions follow "major.minor" ("2.0", "1.1"); the version becomes part of a file name.
_VERSION = re.compile(r"\d+(\.\d+){0,3}")
_CHUNK = 1 << 20
_MAX_SUMMARY_BYTES = 1 << 20


class FetchError(RuntimeError):
    """The fetch cannot run at all (not one data set): the message says why."""


class _Rejected(Exception):
    """One data set failed: the rule it broke and what arrived."""

    def __init__(self, rule: str, detail: str):
        super().__init__(f"{rule}: {detail}")
        self.rule = rule
        self.detail = detail


@dataclass(frozen=True)
class Outcome:
    """What happened to one data set; `message` is the one line to show."""

    name: str
    ok: bool
    message: str
    file: Path | None = None
    rows: int = 0


@dataclass(frozen=True)
class _Summary:
    title: str
    status: str
    version: str
    published: str
    total_results: int | None
    superseded_by: str | None


def provenance_path(settings: Settings) -> Path:
    return settings.fetched_benchmarks_dir / PROVENANCE_FILE


def fetch_benchmarks(settings: Settings, report: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Fetch every configured data set; `report` is called as each one finishes."""
    if not settings.fetch.data_sets:
        raise FetchError(
            'no data sets configured: add name = "API data set id" lines to [fetch.data_sets] in sendkpi.toml'
        )
    _read_provenance(provenance_path(settings))  # refuse before downloading if it is unreadable
    outcomes = []
    for name, data_set_id in settings.fetch.data_sets.items():
        try:
            outcome = _fetch_one(settings, name, data_set_id)
        except _Rejected as rejected:
            outcome = Outcome(name, False, f"{name}: FAILED ({rejected.rule}): {rejected.detail}")
        outcomes.append(outcome)
        if report:
            report(outcome)
    return outcomes


def _fetch_one(settings: Settings, name: str, data_set_id: str) -> Outcome:
    table = EXPECTED_TABLES.get(name)
    if table is None:
        raise _Rejected(
            "unknown data set", f"no DfE layout is expected for {name!r}; known names: {', '.join(EXPECTED_TABLES)}"
        )
    if not _DATA_SET_ID.fullmatch(data_set_id):
        raise _Rejected(
            "not configured",
            f"{data_set_id!r} is not an EES API data set id: set the data set's "
            '"API data set ID" from the EES data catalogue in [fetch.data_sets] of sendkpi.toml',
        )
    base = settings.fetch.ees_api_url
    policy = settings.fetch
    summary_url = f"{base}/data-sets/{urllib.parse.quote(data_set_id, safe='')}"
    summary = _read_summary(summary_url, policy)
    csv_url = f"{summary_url}/csv?{urllib.parse.urlencode({'dataSetVersion': summary.version})}"

    folder = settings.fetched_benchmarks_dir / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _Rejected("cannot write", f"{folder}: {error.strerror or error}") from None
    temporary = _download(csv_url, folder, name, policy)
    destination = folder / f"{name}_{summary.version}.csv"
    try:
        rows = _verify(temporary, table)
        sha256 = file_sha256(temporary)
        os.replace(temporary, destination)
    except OSError as error:
        raise _Rejected("cannot write", f"{destination}: {error.strerror or error}") from None
    finally:
        temporary.unlink(missing_ok=True)  # gone already when the rename succeeded

    replaced = sorted(path.name for path in folder.glob(f"{name}_*.csv") if path != destination)
    _record(
        settings,
        name,
        {
            "id": data_set_id,
            "version": summary.version,
            "title": summary.title,
            "published": summary.published,
            "status": summary.status,
            "url": csv_url,
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "sha256": sha256,
            "rows": rows,
            "api_total_results": summary.total_results,
            "table": table,
            "file": destination.relative_to(settings.fetched_benchmarks_dir).as_posix(),
            "replaced": replaced,
        },
    )
    for old_name in replaced:
        (folder / old_name).unlink(missing_ok=True)

    notes = []
    if replaced:
        notes.append(f"replaced {', '.join(replaced)}")
    if summary.total_results is not None and summary.total_results != rows:
        notes.append(f"note: the API reports {summary.total_results} results, the CSV has {rows} rows")
    if summary.status == "Deprecated":
        notes.append(
            f"note: DfE have deprecated this data set (superseded by {summary.superseded_by or 'nothing named'})"
        )
    message = (
        f'{name}: version {summary.version} of "{summary.title}" (published {summary.published}): '
        f"{rows} rows -> {destination}"
    )
    return Outcome(name, True, "; ".join([message, *notes]), destination, rows)


# --- HTTP ---------------------------------------------------------------------------------------


# Answers worth asking again: too many requests, and a server or gateway that failed or was
# unavailable for a moment. A 404 or 400 will not change by asking again.
RETRYABLE_STATUS = {429, 500, 502, 503, 504}


def _open(url: str, accept: str, policy: FetchSettings):
    """An open response, or _Rejected with one line saying what went wrong. `policy.timeout_seconds`
    bounds connecting and every read (not the whole download). A network error, a time-out or
    a retryable status is asked again up to `policy.retries` times, waiting
    retry_backoff_seconds, then twice that, and so on (or the Retry-After the server gives)."""
    request = urllib.request.Request(
        url,
        headers={
            "Accept": accept,
            "Accept-Encoding": "gzip, identity",
            "User-Agent": USER_AGENT,
        },
    )
    attempts = policy.retries + 1
    for attempt in range(1, attempts + 1):
        wait = policy.retry_backoff_seconds * 2 ** (attempt - 1)
        try:
            return urllib.request.urlopen(request, timeout=policy.timeout_seconds)  # noqa: S310 (http(s) only)
        except urllib.error.HTTPError as error:
            if error.code not in RETRYABLE_STATUS or attempt == attempts:
                raise _after(_http_error(url, error), attempt) from None
            retry_after = (error.headers.get("Retry-After") or "").strip()
            if retry_after.isdigit():
                wait = min(int(retry_after), 300)
            error.close()
        except urllib.error.URLError as error:
            if attempt == attempts:
                raise _after(_network_error(url, error.reason, policy.timeout_seconds), attempt) from None
        except (OSError, http.client.HTTPException) as error:
            if attempt == attempts:
                raise _after(_network_error(url, error, policy.timeout_seconds), attempt) from None
        time.sleep(wait)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _after(rejected: _Rejected, attempts: int) -> _Rejected:
    """The rejection, saying how many times it was tried when more than once."""
    if attempts == 1:
        return rejected
    return _Rejected(rejected.rule, f"{rejected.detail}, after {attempts} attempts")


def _http_error(url: str, error: urllib.error.HTTPError) -> _Rejected:
    detail = ""
    try:
        # The API answers errors with JSON problem details; use them when they are there.
        problem = json.loads(error.read(64 * 1024) or b"{}")
        if isinstance(problem, dict):
            detail = " - ".join(str(problem[key]) for key in ("title", "detail") if problem.get(key))
    except (ValueError, OSError, http.client.HTTPException):
        pass
    finally:
        error.close()
    hint = " (is the data set id in [fetch.data_sets] of sendkpi.toml right?)" if error.code == 404 else ""
    return _Rejected(f"HTTP {error.code} {error.reason}", f"GET {url}{': ' + detail if detail else ''}{hint}")


def _network_error(url: str, reason: object, timeout: int) -> _Rejected:
    host = urllib.parse.urlsplit(url).netloc
    if isinstance(reason, TimeoutError):
        return _Rejected("timed out", f"no answer from {host} within {timeout} s (GET {url})")
    if isinstance(reason, OSError) and reason.strerror:
        reason = reason.strerror
    return _Rejected("network error", f"cannot reach {host}: {reason} (GET {url})")


def _read_summary(url: str, policy: FetchSettings) -> _Summary:
    timeout = policy.timeout_seconds
    try:
        with _open(url, "application/json", policy) as response:
            body = response.read(_MAX_SUMMARY_BYTES + 1)
    except (OSError, http.client.HTTPException) as error:
        raise _network_error(url, error, timeout) from None
    try:
        summary = json.loads(body)
        latest = summary["latestVersion"]
        version = str(latest["version"]).strip()
    except (ValueError, KeyError, TypeError):
        raise _Rejected(
            "unexpected answer",
            f"GET {url} did not return a data set summary with latestVersion.version: {body[:120]!r}",
        ) from None
    if not _VERSION.fullmatch(version):
        raise _Rejected("unexpected answer", f"GET {url}: version {version!r} is not like 1.0 or 2.1")
    status = str(summary.get("status") or "")
    if status == "Withdrawn":
        raise _Rejected(
            "withdrawn",
            f"DfE have withdrawn data set {summary.get('title') or url}; "
            f"superseded by {summary.get('supersedingDataSetId') or 'nothing named'}",
        )
    total = latest.get("totalResults")
    return _Summary(
        title=str(summary.get("title") or ""),
        status=status,
        version=version,
        published=str(latest.get("published") or "unknown"),
        total_results=total if isinstance(total, int) and not isinstance(total, bool) else None,
        superseded_by=summary.get("supersedingDataSetId"),
    )


def _download(url: str, folder: Path, name: str, policy: FetchSettings) -> Path:
    """The response body in a hidden temporary file in `folder`; nothing is left on failure."""
    timeout = policy.timeout_seconds
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix=f".{name}_", suffix=".csv.part", delete=False)
    temporary = Path(handle.name)
    try:
        with handle, _open(url, "text/csv", policy) as response:
            encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
            if encoding not in ("identity", "gzip"):
                raise _Rejected("unexpected answer", f"GET {url}: unsupported Content-Encoding {encoding}")
            body = gzip.GzipFile(fileobj=response) if encoding == "gzip" else response
            received = 0
            while chunk := body.read(_CHUNK):
                handle.write(chunk)
                received += len(chunk)
            # http.client does not notice a body cut short: compare with what was announced.
            expected = response.headers.get("Content-Length")
            if encoding == "identity" and expected and expected.isdigit() and int(expected) != received:
                raise _Rejected("incomplete download", f"GET {url}: {received} of {expected} bytes arrived")
            handle.flush()
            os.fsync(handle.fileno())
        return temporary
    except _Rejected:
        temporary.unlink(missing_ok=True)
        raise
    except (OSError, EOFError, http.client.HTTPException) as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, (EOFError, gzip.BadGzipFile)):
            raise _Rejected("incomplete download", f"GET {url}: compressed body is damaged ({error})") from None
        raise _network_error(url, error, timeout) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# --- checks -------------------------------------------------------------------------------------


def _verify(path: Path, table: str) -> int:
    """Data rows in the file, once it is known to be a layout feeding `table`; else _Rejected."""
    published = recognise(path)
    if not published.header:
        raise _Rejected("empty", "the CSV arrived with no header row")
    if table not in [layout.table for layout in published.layouts]:
        raise _Rejected("layout not recognised", _layout_detail(published.header, published.layouts, table))
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            next(reader, None)
            rows = sum(1 for row in reader if any(cell.strip() for cell in row))
    except UnicodeDecodeError as error:
        raise _Rejected("not UTF-8", f"the CSV is not UTF-8 text ({error.reason})") from None
    except csv.Error as error:
        raise _Rejected("not a readable CSV", str(error)) from None
    if rows == 0:
        raise _Rejected("no data rows", f"only a header arrived ({len(published.header)} columns)")
    return rows


def _layout_detail(header: list[str], matched, table: str) -> str:
    """What arrived, put so that someone can decide whether DfE changed the file or the id is wrong."""
    columns = set(header)
    known = {column for layout in LAYOUTS for column in layout.columns.values()}
    unknown = [column for column in header if column not in known]
    candidates = [layout for layout in LAYOUTS if layout.table == table]
    missing = min(([c for c in layout.columns.values() if c not in columns] for layout in candidates), key=len)
    parts = []
    if matched:
        parts.append(f"it is {' / '.join(layout.name for layout in matched)}, not a file for {table}")
    parts.append(f"columns missing for {table}: {', '.join(missing[:20]) or '(none)'}")
    parts.append(f"columns not in any known DfE layout: {', '.join(unknown[:20]) or '(none)'}")
    return f"{len(header)} columns arrived; " + "; ".join(parts)


# --- provenance ---------------------------------------------------------------------------------


def _read_provenance(path: Path) -> dict:
    if not path.exists():
        return {"data_sets": {}}
    try:
        provenance = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise FetchError(f"{path} cannot be read ({error}): repair or move it; nothing was fetched") from None
    if not isinstance(provenance, dict) or not isinstance(provenance.get("data_sets"), dict):
        raise FetchError(f'{path} is not a provenance file (no "data_sets" object): repair or move it')
    return provenance


def _record(settings: Settings, name: str, entry: dict) -> None:
    """Update one data set's entry; the file is replaced in one step, other entries kept as they were."""
    path = provenance_path(settings)
    provenance = _read_provenance(path)
    provenance["data_sets"][name] = entry
    temporary = path.with_name(f".{PROVENANCE_FILE}.{os.getpid()}.part")
    try:
        temporary.write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise _Rejected(
            "cannot record provenance",
            f"{path}: {error.strerror or error}; {entry['file']} is in place but unrecorded: fetch again",
        ) from None
