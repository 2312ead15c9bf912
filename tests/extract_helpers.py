"""Helpers shared by the extract-loading tests: a reference keyed hash, files written from
text lines, loading one file, and what the build warehouse then holds."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import duckdb

from pipelines.ingest.extracts import FileOutcome, load_extract_file
from schemas import EXTRACTS

KEY = "test-key-for-the-ingest-tests"
Q2 = "2023-24_Q2"


def pseudonym(value: str, key: str = KEY) -> str:
    """The reference keyed hash, computed by Python's hmac (not by the code under test)."""
    return hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()


def write_csv(folder: Path, name: str, lines: list[str], encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def load(connection: duckdb.DuckDBPyConnection, extract: str, path: Path, key: str = KEY) -> FileOutcome:
    return load_extract_file(connection, EXTRACTS[extract], path, key)


def count(connection: duckdb.DuckDBPyConnection, table: str) -> int:
    return connection.execute(f"select count(*) from {table}").fetchone()[0]


def quarantine_rows(connection: duckdb.DuckDBPyConnection) -> list[tuple]:
    return connection.execute(
        "select source_row_number, column_name, check_name, original_value from raw.quarantine "
        "order by source_row_number, column_name, check_name"
    ).fetchall()


def loaded_row_numbers(connection: duckdb.DuckDBPyConnection, extract: str) -> list[int]:
    return [
        r[0]
        for r in connection.execute(
            f"select source_row_number from raw.{extract} order by source_row_number"
        ).fetchall()
    ]


def load_log(connection: duckdb.DuckDBPyConnection) -> list[dict]:
    return connection.execute("select * from raw.load_log order by loaded_at, load_id").df().to_dict("records")
