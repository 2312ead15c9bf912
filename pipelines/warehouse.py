"""The warehouse's own tables (load history, quarantine, extract rows) and connections.

The pipeline writes only to the build warehouse (settings.build_warehouse_path); users read
the published copy. DuckDB allows one writer process or many readers, never both.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from schemas.extract_spec import (
    PERIOD_END,
    PERIOD_START,
    SOURCE_PERIOD,
    ColumnKind,
    ExtractSpec,
)

_SQL_TYPES: dict[ColumnKind, str] = {
    "id": "VARCHAR",
    "date": "DATE",
    "code": "VARCHAR",
    "integer": "INTEGER",
    "text": "VARCHAR",
}

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
    status varchar not null,          -- current | superseded | rejected
    message varchar,
    loaded_at timestamp not null,
    superseded_by varchar
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


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            return duckdb.connect(str(path.resolve()), read_only=read_only)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() > deadline:
                raise
            time.sleep(1)


@contextmanager
def connect(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = _open(path, read_only)
    try:
        yield connection
    finally:
        connection.close()


def extract_table_ddl(spec: ExtractSpec) -> str:
    columns = ",\n    ".join(f"{name} {_SQL_TYPES[kind]}" for name, kind in spec.kinds.items())
    return f"""
create table if not exists raw.{spec.name} (
    load_id varchar not null,
    {SOURCE_PERIOD} varchar not null,
    {PERIOD_START} date not null,
    {PERIOD_END} date not null,
    source_row_number integer not null,
    {columns}
)
"""


def ensure_raw_tables(connection: duckdb.DuckDBPyConnection, specs: list[ExtractSpec]) -> None:
    connection.execute("create schema if not exists raw")
    connection.execute(LOAD_LOG_DDL)
    connection.execute(QUARANTINE_DDL)
    for spec in specs:
        connection.execute(extract_table_ddl(spec))
