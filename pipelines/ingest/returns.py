"""Load the aggregate returns: every file of a return folder under data/raw/, reloaded whole.

A return folder holds figures about groups, not people (nothing is pseudonymised), in one or
more layouts recognised by their exact header, whatever the file names (schemas/__init__.py):
  raw/dsg/            DSG budget monitoring and balances (schemas/dsg_*.py)
  raw/neet/           NEET 16-17 monthly counts (schemas/neet.py)
  raw/school_census/  pupils on roll by phase and SEN status (schemas/school_census.py)
Files are read and checked by the same loader as the case extracts (pipelines/ingest/files.py
and loader.py). Every run replaces the folder's raw tables with what the folder holds now, in
one transaction, and replaces the folder's rows of raw.quarantine with the rows failing a rule
now (a key must be unique across the folder: two files giving the same figure cannot both be
right). A file whose header is no layout of its folder is reported, naming its columns, and
not loaded. No folder: empty tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.ingest import loader
from pipelines.ingest.files import ROW_NUMBER, STAGED_TABLE, FileRejected, file_sha256, list_extract_files, stage_file
from pipelines.warehouse import QUARANTINE_DDL, in_transaction
from schemas import DSG_FOLDER, NEET_FOLDER, RETURN_FOLDERS, SCHOOL_CENSUS_FOLDER, ReturnFolder
from schemas.contract import SOURCE_FILE, Contract

DSG, NEET, SCHOOL_CENSUS = DSG_FOLDER, NEET_FOLDER, SCHOOL_CENSUS_FOLDER
QUARANTINE_COLUMNS = ["load_id", "extract", "file_path", ROW_NUMBER, "column_name", "check_name", "original_value"]

__all__ = ["DSG", "NEET", "SCHOOL_CENSUS", "RETURN_FOLDERS", "ReturnFolder", "ReturnFile", "load_returns_folder"]


@dataclass(frozen=True)
class ReturnFile:
    """One file of a return folder and what became of it; `layout` None: not loaded."""

    path: Path
    layout: str | None
    message: str
    rows_in_file: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0


def _layout_of(returns: ReturnFolder, header: list[str]) -> Contract | None:
    return next((layout for layout in returns.layouts if sorted(header) == sorted(layout.column_names)), None)


def _pending(layout: Contract) -> str:
    return f"incoming_{layout.name}"


def _stage(
    connection: duckdb.DuckDBPyConnection, returns: ReturnFolder, path: Path
) -> tuple[Contract | None, int, str]:
    """Stage one file and append its rows to its layout's pending table; (layout, rows, message)."""
    try:
        staged = stage_file(connection, path, [layout.column_names for layout in returns.layouts])
    except FileRejected as error:
        return None, 0, str(error)
    layout = _layout_of(returns, staged.header)
    if layout is None:
        return (
            None,
            0,
            (
                f"{path}: layout not recognised (not {returns.description}); its columns: "
                f"{', '.join(staged.header) or '(none)'}"
            ),
        )
    cells = ", ".join(f"{staged.position(name)} as {name}" for name in layout.column_names)
    offset = connection.execute(f"select count(*) from {_pending(layout)}").fetchone()[0]
    connection.execute(
        f"insert into {_pending(layout)} select ? + row_number() over (order by {ROW_NUMBER}), ?, ?, {ROW_NUMBER}, "
        f"{cells} from {STAGED_TABLE}",
        [offset, f"{returns.folder}:{file_sha256(path)[:16]}", str(path)],
    )
    return layout, staged.rows, ""


def _pending_ddl(layout: Contract) -> str:
    columns = ", ".join(f"{name} varchar" for name in layout.column_names)
    return (
        f"create or replace temp table {_pending(layout)} ({loader.ROW_ORDINAL} bigint, load_id varchar, "
        f"{SOURCE_FILE} varchar, {ROW_NUMBER} integer, {columns})"
    )


def load_returns_folder(
    connection: duckdb.DuckDBPyConnection, returns: ReturnFolder, folder: Path, files: list[Path] | None = None
) -> list[ReturnFile]:
    """Replace the folder's raw tables and its quarantine rows, in one transaction.
    `files`: the folder's files when the caller has listed them already."""
    found: list[tuple[Path, Contract | None, int, str]] = []
    for layout in returns.layouts:
        connection.execute(_pending_ddl(layout))
    for path in list_extract_files(folder) if files is None else files:
        layout, rows, message = _stage(connection, returns, path)
        found.append((path, layout, rows, message))
    connection.execute(f"drop table if exists {STAGED_TABLE}")
    now = datetime.now()

    def replace_folder() -> dict[str, dict[str, tuple[int, int]]]:
        counts: dict[str, dict[str, tuple[int, int]]] = {}
        connection.execute("create schema if not exists raw")
        connection.execute(QUARANTINE_DDL)
        connection.execute("delete from raw.quarantine where list_contains(?, extract)", [returns.tables])
        for layout in returns.layouts:
            connection.execute(f"create or replace temp table {loader.INCOMING} as select * from {_pending(layout)}")
            loader.validate(connection, layout, None)
            connection.execute(layout.table_ddl().replace("create table if not exists", "create or replace table"))
            connection.execute(f"insert into raw.{layout.name} by name {loader.good_rows_sql(layout)}")
            connection.execute(
                f"insert into raw.quarantine by name select typed.load_id, ? as extract, typed.{SOURCE_FILE} as file_path, "
                f"failures.{ROW_NUMBER}, failures.column_name, failures.check_name, failures.original_value, "
                f"? as quarantined_at from {loader.FAILURES} as failures join {loader.TYPED} as typed "
                f"using ({loader.ROW_ORDINAL})",
                [layout.name, now],
            )
            counts[layout.name] = dict(
                (file, (loaded, quarantined))
                for file, loaded, quarantined in connection.execute(
                    f"select {SOURCE_FILE}, count(*) filter (where {loader.ROW_ORDINAL} not in "
                    f"(select {loader.ROW_ORDINAL} from {loader.FAILURES})), "
                    f"count(*) filter (where {loader.ROW_ORDINAL} in (select {loader.ROW_ORDINAL} from {loader.FAILURES})) "
                    f"from {loader.TYPED} group by all"
                ).fetchall()
            )
            loader.drop_work_tables(connection)
        return counts

    try:
        counts = in_transaction(connection, replace_folder)
    finally:
        for layout in returns.layouts:
            connection.execute(f"drop table if exists {_pending(layout)}")
    outcomes = []
    for path, layout, rows, message in found:
        if layout is None:
            outcomes.append(ReturnFile(path, None, message))
            continue
        loaded, quarantined = counts[layout.name].get(str(path), (0, 0))
        outcomes.append(
            ReturnFile(
                path,
                layout.name,
                f"{path.name}: {layout.name}: loaded {loaded} of {rows} rows, quarantined {quarantined}",
                rows,
                loaded,
                quarantined,
            )
        )
    return outcomes
