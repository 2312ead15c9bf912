"""Load quarterly case extracts into the build warehouse, and keep the ledger of loads.

A file is known by its extract, its quarter and its content (SHA-256): `raw.load_log` has one
row per load, and says which load is `current` for each quarter; the others are `superseded`
(history, rows kept), `held` (a replacement held back, see below) or `rejected`.

For each quarter a run looks at the files present for it (pipelines/ingest/drop_zone.py):
- one new content (never loaded for that quarter) is validated and loaded; it becomes current
  and the previous current load is superseded. Two new contents for one quarter at once are
  both rejected: the analyst removes the wrong one;
- content already loaded changes nothing, whatever the file is called;
- when the file of the current load has gone and a file of an earlier load of the quarter is
  present, that earlier load is current again (undo by removing the wrong correction); loading
  a file again with `load_extract_file` does the same.
Identical content for two quarters is two loads: each quarter has its figures.

A replacement is held back (status `held`, the current load stays current) when it loses more
than `max_case_loss_pct` of the current load's cases, or when more than
`max_quarantined_pct` of any file's rows are quarantined (a first load too): a truncated
file, a workbook continued on another sheet, or dates Excel wrote as numbers would otherwise
silently replace a good quarter. `sendkpi accept FILE` makes a held load current.

Each file is validated and stored in one transaction (pipelines/ingest/loader.py does the
set work in DuckDB): rows, quarantine and the ledger entry, or nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from pipelines.ingest import loader
from pipelines.ingest.files import ROW_NUMBER, STAGED_TABLE, FileRejected, check_columns, file_sha256, stage_file
from pipelines.periods import FinancialQuarter
from pipelines.warehouse import in_transaction
from schemas.contract import Contract

QUARANTINE_COLUMNS = [ROW_NUMBER, "column_name", "check_name", "original_value"]
LOADED_STATUSES = ("current", "superseded", "held")


@dataclass(frozen=True)
class LoadPolicy:
    """When a new load is held back instead of becoming current (settings: docs/operations.md)."""

    max_case_loss_pct: float = 25.0
    max_quarantined_pct: float = 50.0


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file; the run report is made of these."""

    extract: str
    path: Path
    status: str  # loaded | unchanged | restored | held | rejected | ignored (drop_zone.py)
    message: str
    source_period: str | None = None
    rows_in_file: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0


def shown_path(path: Path, data_dir: Path | None) -> str:
    """A file as published: relative to the data folder (no server paths), else its name."""
    if data_dir is not None:
        try:
            return str(path.relative_to(data_dir))
        except ValueError:
            pass
    return path.name


def public_rejection(error: FileRejected, contract: Contract, data_dir: Path | None) -> str:
    """The rejection as published: the file relative to the data folder, and only documented
    column names (an unknown header could be a child's name)."""
    documented = [column for column in error.columns if column in contract.column_names]
    hidden = len(error.columns) - len(documented)
    columns = ", ".join(documented)
    if hidden:
        columns = f"{columns}{' and ' if columns else ''}{hidden} not documented (not shown)"
    columns_text = f" Columns: {columns}." if error.columns else ""
    return f"{shown_path(error.path, data_dir)}: rejected ({error.rule}): {error.detail}.{columns_text}"


# --- the ledger ---------------------------------------------------------------------------------


def _load_id(contract: Contract, period: str, sha256: str) -> str:
    return f"{contract.name}:{period}:{sha256[:16]}"


def _known_load(connection: duckdb.DuckDBPyConnection, contract: Contract, period: str, sha256: str) -> tuple | None:
    """A load of this content for this quarter (a rejection is tried again: its reason may
    have been fixed, or the rules may have changed)."""
    return connection.execute(
        "select load_id, file_path, status from raw.load_log where extract = ? and source_period = ? "
        "and file_sha256 = ? and status in ('current', 'superseded', 'held')",
        [contract.name, period, sha256],
    ).fetchone()


def current_load(connection: duckdb.DuckDBPyConnection, extract: str, period: str) -> tuple | None:
    """(load_id, file_sha256) of the quarter's current load."""
    return connection.execute(
        "select load_id, file_sha256 from raw.load_log where extract = ? and source_period = ? and status = 'current'",
        [extract, period],
    ).fetchone()


def record_event(connection: duckdb.DuckDBPyConnection, load_id: str, event: str, detail: str) -> None:
    connection.execute(
        "insert into raw.load_events select extract, source_period, load_id, ?, ?, ? from raw.load_log where load_id = ?",
        [event, detail, datetime.now(), load_id],
    )


def make_current(connection: duckdb.DuckDBPyConnection, load_id: str, event: str, detail: str) -> str | None:
    """Make a stored load its quarter's current one; the previous current load is superseded
    by it. Returns the previous load's id. Runs inside the caller's transaction."""
    extract, period = connection.execute(
        "select extract, source_period from raw.load_log where load_id = ?", [load_id]
    ).fetchone()
    previous = current_load(connection, extract, period)
    if previous and previous[0] != load_id:
        connection.execute(
            "update raw.load_log set status = 'superseded', superseded_by = ? where load_id = ?", [load_id, previous[0]]
        )
        record_event(connection, previous[0], "superseded", f"by {load_id}")
    connection.execute("update raw.load_log set status = 'current', superseded_by = null where load_id = ?", [load_id])
    record_event(connection, load_id, event, detail)
    return previous[0] if previous and previous[0] != load_id else None


def _record_rejection(
    connection: duckdb.DuckDBPyConnection,
    contract: Contract,
    error: FileRejected,
    sha256: str,
    period: str | None,
    data_dir: Path | None,
) -> FileOutcome:
    path = error.path
    # One log row per rejected file and content: trying it again updates the row.
    connection.execute(
        "insert or replace into raw.load_log (load_id, extract, source_period, file_path, file_name, file_sha256, "
        "status, message, public_message, loaded_at) values (?, ?, ?, ?, ?, ?, 'rejected', ?, ?, ?)",
        [
            f"{contract.name}:rejected:{path.name}:{sha256[:16]}",
            contract.name,
            period,
            str(path),
            path.name,
            sha256,
            str(error),
            public_rejection(error, contract, data_dir),
            datetime.now(),
        ],
    )
    return FileOutcome(contract.name, path, "rejected", str(error), period)


def reject(
    connection: duckdb.DuckDBPyConnection,
    contract: Contract,
    error: FileRejected,
    sha256: str,
    period: str | None,
    data_dir: Path | None = None,
) -> FileOutcome:
    """Record a file-level rejection in its own transaction."""
    return in_transaction(connection, lambda: _record_rejection(connection, contract, error, sha256, period, data_dir))


# --- validating and storing one file -------------------------------------------------------------


def _stage_rows(
    connection: duckdb.DuckDBPyConnection, contract: Contract, path: Path, quarter: FinancialQuarter, load_id: str
) -> tuple[int, str]:
    """Stage the file and lay its rows out for the loader; (rows in file, encoding). One file
    is validated at a time, and its row numbers (as the analyst counts them) are unique in it:
    they are the rows' ordinals, with no numbering pass of their own."""
    staged = stage_file(connection, path, [contract.column_names])
    check_columns(path, staged.header, contract.column_names)
    if staged.rows == 0:
        raise FileRejected(path, "no rows", "the file has a header but no data rows")
    cells = ", ".join(f"{staged.position(name)} as {name}" for name in contract.column_names)
    connection.execute(
        f"create or replace temp table {loader.INCOMING} as select "
        f"cast({ROW_NUMBER} as bigint) as {loader.ROW_ORDINAL}, "
        f"?::varchar as load_id, ?::varchar as source_period, ?::date as period_start, ?::date as period_end, "
        f"{ROW_NUMBER}, {cells} from {STAGED_TABLE}",
        [load_id, quarter.label, quarter.first_day, quarter.last_day],
    )
    connection.execute(f"drop table if exists {STAGED_TABLE}")
    return staged.rows, staged.encoding


def _cases_lost_pct(connection: duckdb.DuckDBPyConnection, contract: Contract, previous: str) -> float:
    """The share of the current load's cases (keys) that the new load's accepted rows lack."""
    key = ", ".join(contract.key)
    kept, before = connection.execute(
        f"select count(*) filter (where exists (select 1 from ({loader.good_rows_sql(contract)}) as new_rows "
        f"where ({', '.join(f'new_rows.{c}' for c in contract.key)}) = ({', '.join(f'old.{c}' for c in contract.key)}))), "
        f"count(*) from (select distinct {key} from raw.{contract.name} where load_id = ?) as old",
        [previous],
    ).fetchone()
    return 0.0 if before == 0 else 100.0 * (before - kept) / before


def _hold_reason(
    connection: duckdb.DuckDBPyConnection,
    contract: Contract,
    result: loader.Validated,
    previous: str | None,
    policy: LoadPolicy,
) -> str | None:
    quarantined_pct = 100.0 * result.rows_quarantined / result.rows_in
    if quarantined_pct > policy.max_quarantined_pct:
        return (
            f"{result.rows_quarantined} of {result.rows_in} rows ({quarantined_pct:.0f}%) would be quarantined, "
            f"more than max_quarantined_pct ({policy.max_quarantined_pct:g}%)"
        )
    if previous is not None:
        lost_pct = _cases_lost_pct(connection, contract, previous)
        if lost_pct > policy.max_case_loss_pct:
            return (
                f"it would drop {lost_pct:.0f}% of the cases of the current load {previous}, more than "
                f"max_case_loss_pct ({policy.max_case_loss_pct:g}%)"
            )
    return None


def _store(
    connection: duckdb.DuckDBPyConnection,
    contract: Contract,
    path: Path,
    sha256: str,
    quarter: FinancialQuarter,
    key: str,
    policy: LoadPolicy,
    data_dir: Path | None,
) -> FileOutcome:
    load_id = _load_id(contract, quarter.label, sha256)
    rows_in_file, encoding = _stage_rows(connection, contract, path, quarter, load_id)
    result = loader.validate(connection, contract, key)
    previous = current_load(connection, contract.name, quarter.label)
    previous_id = previous[0] if previous else None
    held = _hold_reason(connection, contract, result, previous_id, policy)
    now = datetime.now()
    connection.execute(f"insert into raw.{contract.name} by name {loader.good_rows_sql(contract)}")
    connection.execute(
        f"insert into raw.quarantine by name select ? as load_id, ? as extract, ? as file_path, "
        f"{', '.join(QUARANTINE_COLUMNS)}, ? as quarantined_at from {loader.FAILURES}",
        [load_id, contract.name, str(path), now],
    )
    encoding_note = f"; read as {encoding}" if encoding not in ("utf-8", "xlsx") else ""
    counts = f"loaded {result.rows_good} of {rows_in_file} rows, quarantined {result.rows_quarantined}"
    if held:
        message = (
            f"held back ({counts}): {held}; {previous_id or 'no load'} stays current. If the file is right, "
            f"accept it with `sendkpi accept {path.name}`{encoding_note}"
        )
    else:
        replaced = f"; replaces {previous_id}" if previous_id else ""
        message = f"{counts}{replaced}{encoding_note}"
    connection.execute(
        "insert into raw.load_log (load_id, extract, source_period, file_path, file_name, file_sha256, encoding, "
        "rows_in_file, rows_loaded, rows_quarantined, status, message, public_message, loaded_at) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'held', ?, ?, ?)",
        [
            load_id,
            contract.name,
            quarter.label,
            str(path),
            path.name,
            sha256,
            encoding,
            rows_in_file,
            result.rows_good,
            result.rows_quarantined,
            message,
            message,
            now,
        ],
    )
    record_event(connection, load_id, "held" if held else "loaded", shown_path(path, data_dir))
    if not held:
        make_current(connection, load_id, "current", "loaded")
    loader.drop_work_tables(connection)
    return FileOutcome(
        contract.name,
        path,
        "held" if held else "loaded",
        message,
        quarter.label,
        rows_in_file,
        result.rows_good,
        result.rows_quarantined,
    )


# --- one file, a folder --------------------------------------------------------------------------


def period_problem(path: Path, today: date | None = None) -> tuple[FinancialQuarter | None, FileRejected | None]:
    """The file's quarter, or why its name gives none that can be loaded."""
    quarters = FinancialQuarter.find_all_in(path.name)
    if not quarters:
        return None, FileRejected(
            path, "no period in file name", "the name must contain a financial quarter like 2023-24_Q2"
        )
    if len(quarters) > 1:
        named = " and ".join(quarter.label for quarter in quarters)
        return None, FileRejected(
            path,
            "two periods in file name",
            f"the name names {named}: a file holds one quarter, name it with that one only",
        )
    quarter = quarters[0]
    latest = FinancialQuarter.containing(today or date.today())
    if quarter > latest:
        return None, FileRejected(
            path,
            "quarter in the future",
            f"{quarter.label} has not started yet (the current quarter is {latest.label})",
        )
    return quarter, None


def load_extract_file(
    connection: duckdb.DuckDBPyConnection,
    spec: Contract,
    path: Path,
    key: str,
    sha256: str | None = None,
    *,
    policy: LoadPolicy = LoadPolicy(),
    data_dir: Path | None = None,
) -> FileOutcome:
    """Load one file for the quarter its name gives. Content already current for the quarter
    changes nothing; content loaded before and superseded since becomes current again."""
    try:
        sha256 = sha256 or file_sha256(path)
    except OSError as error:
        return reject(
            connection,
            spec,
            FileRejected(path, "unreadable", f"the file cannot be read ({error.strerror})"),
            "",
            None,
            data_dir,
        )
    quarter, problem = period_problem(path)
    if problem is not None:
        return reject(connection, spec, problem, sha256, None, data_dir)
    known = _known_load(connection, spec, quarter.label, sha256)
    if known:
        load_id, file_path, status = known
        same = "this file" if file_path == str(path) else f"identical to {file_path}"
        if status == "superseded":
            previous = in_transaction(
                connection,
                lambda: make_current(connection, load_id, "restored", f"loaded again: {shown_path(path, data_dir)}"),
            )
            return FileOutcome(
                spec.name,
                path,
                "restored",
                f"{same}, loaded before for {quarter.label}: current again (replaces {previous})",
                quarter.label,
            )
        hint = "; accept it with `sendkpi accept`" if status == "held" else ""
        return FileOutcome(spec.name, path, "unchanged", f"already seen ({same}, {status}): nothing to do{hint}")

    def work() -> FileOutcome:
        try:
            return _store(connection, spec, path, sha256, quarter, key, policy, data_dir)
        except FileRejected as error:
            loader.drop_work_tables(connection)
            return _record_rejection(connection, spec, error, sha256, quarter.label, data_dir)

    return in_transaction(connection, work)


def in_scope(path: Path, quarters: set[str] | None) -> bool:
    """Does a run for these quarters (None: every quarter) handle this file? A file whose
    name gives no single quarter belongs to none, so every run reports it (as rejected)."""
    found = FinancialQuarter.find_all_in(path.name)
    return quarters is None or len(found) != 1 or found[0].label in quarters


def _restore_if_current_gone(
    connection: duckdb.DuckDBPyConnection,
    spec: Contract,
    period: str,
    present: dict[str, list[Path]],
    data_dir: Path | None,
) -> FileOutcome | None:
    """The current load's file has gone: the latest earlier load whose file is present is
    current again (undoing a wrong correction by removing it)."""
    current = current_load(connection, spec.name, period)
    if current is not None and current[1] in present:
        return None
    earlier = connection.execute(
        "select load_id, file_sha256 from raw.load_log where extract = ? and source_period = ? "
        "and status = 'superseded' and list_contains(?, file_sha256) order by loaded_at desc limit 1",
        [spec.name, period, list(present)],
    ).fetchone()
    if earlier is None:
        return None
    load_id, sha256 = earlier
    path = present[sha256][0]
    gone = f"the file of {current[0]} is no longer in the folder" if current else "no load was current"
    in_transaction(
        connection, lambda: make_current(connection, load_id, "restored", f"{gone}: {shown_path(path, data_dir)}")
    )
    return FileOutcome(
        spec.name, path, "restored", f"current again for {period}: {gone} (it stays in the history)", period
    )


def load_extract_folder(
    connection: duckdb.DuckDBPyConnection,
    spec: Contract,
    folder: Path,
    key: str,
    quarters: set[str] | None = None,
    *,
    policy: LoadPolicy = LoadPolicy(),
    data_dir: Path | None = None,
    files: list[Path] | None = None,
) -> list[FileOutcome]:
    """Load the files of an extract's folder for these quarters (None: all), quarter by quarter.
    `files`: the folder's extract files when the caller has listed them already."""
    from pipelines.ingest.files import list_extract_files

    candidates = [path for path in (list_extract_files(folder) if files is None else files) if in_scope(path, quarters)]
    outcomes: list[FileOutcome] = []
    by_quarter: dict[str, dict[str, list[Path]]] = defaultdict(lambda: defaultdict(list))
    for path in candidates:
        quarter, problem = period_problem(path)
        try:
            sha256 = file_sha256(path)
        except OSError as error:
            outcomes.append(
                reject(
                    connection,
                    spec,
                    FileRejected(path, "unreadable", f"the file cannot be read ({error.strerror})"),
                    "",
                    quarter.label if quarter else None,
                    data_dir,
                )
            )
            continue
        if problem is not None:
            outcomes.append(reject(connection, spec, problem, sha256, None, data_dir))
        else:
            by_quarter[quarter.label][sha256].append(path)
    for period in sorted(by_quarter, key=FinancialQuarter.parse):
        outcomes.extend(_load_quarter(connection, spec, period, by_quarter[period], key, policy, data_dir))
    return outcomes


def _load_quarter(
    connection: duckdb.DuckDBPyConnection,
    spec: Contract,
    period: str,
    present: dict[str, list[Path]],
    key: str,
    policy: LoadPolicy,
    data_dir: Path | None,
) -> list[FileOutcome]:
    for paths in present.values():
        paths.sort(key=lambda p: p.name)
    new = {sha: paths for sha, paths in present.items() if _known_load(connection, spec, period, sha) is None}
    outcomes = []
    if len(new) > 1:
        firsts = sorted((paths[0] for paths in new.values()), key=lambda p: p.name)
        for sha, paths in new.items():
            others = ", ".join(p.name for p in firsts if p != paths[0])
            for path in paths:
                error = FileRejected(
                    path,
                    f"two new files for {period}",
                    f"{path.name} and {others} both claim the quarter; remove the one that is wrong and run again",
                )
                outcomes.append(reject(connection, spec, error, sha, period, data_dir))
    elif new:
        [(sha, paths)] = new.items()
        outcomes.append(load_extract_file(connection, spec, paths[0], key, sha, policy=policy, data_dir=data_dir))
    else:
        restored = _restore_if_current_gone(connection, spec, period, present, data_dir)
        if restored is not None:
            outcomes.append(restored)
    handled = {outcome.path for outcome in outcomes}
    for sha, paths in present.items():
        for path in paths:
            if path in handled:
                continue
            known = _known_load(connection, spec, period, sha)
            if known is None:  # a second copy of a file rejected just now
                first = present[sha][0]
                outcomes.append(FileOutcome(spec.name, path, "unchanged", f"identical to {first}: reported with it"))
                continue
            load_id, file_path, status = known
            same = "this file" if file_path == str(path) else f"identical to {file_path}"
            hint = "; accept it with `sendkpi accept`" if status == "held" else ""
            outcomes.append(
                FileOutcome(spec.name, path, "unchanged", f"already seen ({same}, {status}): nothing to do{hint}")
            )
    return sorted(outcomes, key=lambda outcome: outcome.path.name)


def report_notices(
    connection: duckdb.DuckDBPyConnection, notices: list, data_dir: Path | None = None
) -> list[FileOutcome]:
    """Entries of the drop zone that are not read (pipelines/ingest/drop_zone.py): a rejected
    one in an extract folder is recorded in the ledger like any rejected file."""
    from schemas import EXTRACTS

    outcomes = []
    for notice in notices:
        if notice.rejected and notice.folder in EXTRACTS:
            try:
                sha256 = file_sha256(notice.path) if notice.path.is_file() else ""
            except OSError:
                sha256 = ""
            error = FileRejected(notice.path, notice.rule, notice.reason)
            outcomes.append(reject(connection, EXTRACTS[notice.folder], error, sha256, None, data_dir))
        else:
            status = "rejected" if notice.rejected else "ignored"
            outcomes.append(FileOutcome(notice.folder or "raw", notice.path, status, notice.reason))
    return outcomes


def accept_held(connection: duckdb.DuckDBPyConnection, spec: Contract, path: Path) -> str:
    """Make the held load of this file current (`sendkpi accept`); returns what was done."""
    sha256 = file_sha256(path)
    row = connection.execute(
        "select load_id, source_period from raw.load_log where extract = ? and file_sha256 = ? and status = 'held' "
        "order by loaded_at desc limit 1",
        [spec.name, sha256],
    ).fetchone()
    if row is None:
        raise LookupError(f"{path}: no held load of this file in the warehouse (only a held load can be accepted)")
    load_id, period = row
    previous = in_transaction(
        connection, lambda: make_current(connection, load_id, "accepted", f"sendkpi accept {path.name}")
    )
    return f"{path.name}: accepted as the current load of {period}" + (f" (replaces {previous})" if previous else "")
