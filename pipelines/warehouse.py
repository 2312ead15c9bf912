"""The warehouse's own tables (load ledger, quarantine, input rows) and connections.

The pipeline writes only to the build warehouse (settings.build_warehouse_path); users read
the published copy. DuckDB allows one writer process or many readers, never both.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from schemas.contract import Contract

LOAD_LOG_DDL = """
create table if not exists raw.load_log (
    load_id varchar primary key,
    extract varchar not null,
    source_period varchar,
    file_path varchar not null,
    file_name varchar not null,
    file_sha256 varchar not null,
    encoding varchar,
    rows_in_file integer,
    rows_loaded integer,
    rows_quarantined integer,
    status varchar not null,          -- current | superseded | held | rejected
    message varchar,                  -- for the operator: full paths, every column named
    loaded_at timestamp not null,
    superseded_by varchar,
    public_message varchar            -- as published: paths relative to the data folder, documented columns only
)
"""
# Warehouses built before public_message existed gain it.
LOAD_LOG_MIGRATIONS = ("alter table raw.load_log add column if not exists public_message varchar",)

# The ledger's history: every time a load was stored, became current, was superseded, held,
# accepted or restored.
LOAD_EVENTS_DDL = """
create table if not exists raw.load_events (
    extract varchar not null,
    source_period varchar,
    load_id varchar not null,
    event varchar not null,           -- loaded | held | current | superseded | restored | accepted
    detail varchar,
    happened_at timestamp not null
)
"""

QUARANTINE_DDL = """
create table if not exists raw.quarantine (
    load_id varchar not null,
    extract varchar not null,
    file_path varchar not null,
    source_row_number integer not null,
    column_name varchar,
    check_name varchar not null,
    original_value varchar,           -- identifiers appear only as their pseudonyms
    quarantined_at timestamp not null
)
"""


# A process killed with kill -9 may leave its dbt child finishing for a few seconds with
# the file locked; wait for it rather than fail the next run.
LOCK_WAIT_SECONDS = 60


def sql_string(text: object) -> str:
    """A value as an SQL string literal, quotes doubled: for the few statements DuckDB does not
    take parameters in (ATTACH, COPY ... TO), so a path holding ' cannot break them."""
    return "'" + str(text).replace("'", "''") + "'"


def _open(path: Path, read_only: bool, config: dict[str, str]) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            return duckdb.connect(str(path.resolve()), read_only=read_only, config=config)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() > deadline:
                raise
            time.sleep(1)


@contextmanager
def connect(
    path: Path,
    *,
    read_only: bool = False,
    memory_limit: str | None = None,
    threads: int | None = None,
    spill_dir: Path | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a warehouse file; with the settings' memory limit, threads and spill
    folder when given (the pipeline's writes), so large loads spill instead of growing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    config = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = str(threads)
    if spill_dir:
        spill_dir.mkdir(parents=True, exist_ok=True)
        config["temp_directory"] = str(spill_dir.resolve())
    connection = _open(path, read_only, config)
    try:
        yield connection
    finally:
        connection.close()


def in_transaction(connection: duckdb.DuckDBPyConnection, work):
    """Run work() in one transaction and return its result; a failed rollback never hides
    why the work failed (a full disk, say): it is added to the original error as a note."""
    connection.execute("begin transaction")
    try:
        result = work()
        connection.execute("commit")
    except BaseException as error:
        try:
            connection.execute("rollback")
        except duckdb.Error as rollback_error:
            error.add_note(f"(the rollback then failed too: {rollback_error})")
        raise
    return result


def ensure_raw_tables(connection: duckdb.DuckDBPyConnection, contracts: Iterable[Contract]) -> None:
    """The ledger, the quarantine and each contract's table (schemas/contract.py)."""
    connection.execute("create schema if not exists raw")
    connection.execute(LOAD_LOG_DDL)
    for migration in LOAD_LOG_MIGRATIONS:
        connection.execute(migration)
    connection.execute(LOAD_EVENTS_DDL)
    connection.execute(QUARANTINE_DDL)
    for contract in contracts:
        connection.execute(contract.table_ddl())
