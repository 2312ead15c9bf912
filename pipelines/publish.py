"""Publishing the marts: copy the checked marts into this run's published set.

Users never open the build warehouse. They read the marts as Parquet and a published warehouse
that holds only the marts and reference tables (no extract rows, pseudonymised or not). Both
are written into the run's set (pipelines/releases.py), which becomes current in one switch
once every publishing step has written its part; a failed or killed run leaves the current
set as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.releases import PublishedSet
from pipelines.settings import Settings
from pipelines.warehouse import sql_string

PUBLISHED_SCHEMAS = ("marts", "reference")


@dataclass(frozen=True)
class Published:
    parquet_files: list[Path]
    warehouse: Path
    row_counts: dict[str, int]


def _tables(connection: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> list[str]:
    return [
        row[0]
        for row in connection.execute(
            "select table_name from information_schema.tables where table_catalog = ? and table_schema = ? "
            "and table_type = 'BASE TABLE' order by table_name",
            [catalog, schema],
        ).fetchall()
    ]


def publish(settings: Settings, into: PublishedSet) -> Published:
    """The published warehouse and one Parquet file per mart, written into `into`."""
    into.marts_dir.mkdir(parents=True, exist_ok=True)
    parquet_files: list[Path] = []
    row_counts: dict[str, int] = {}
    connection = duckdb.connect(str(into.warehouse_path))
    try:
        connection.execute(f"attach {sql_string(settings.build_warehouse_path)} as build (read_only)")
        for schema in PUBLISHED_SCHEMAS:
            connection.execute(f"create schema {schema}")
            for table in _tables(connection, "build", schema):
                connection.execute(f"create table {schema}.{table} as select * from build.{schema}.{table}")
                row_counts[f"{schema}.{table}"] = connection.execute(
                    f"select count(*) from {schema}.{table}"
                ).fetchone()[0]
        published_catalog = connection.execute("select current_database()").fetchone()[0]
        for table in _tables(connection, published_catalog, "marts"):
            path = into.marts_dir / f"{table}.parquet"
            connection.execute(f"copy marts.{table} to {sql_string(path)} (format parquet)")
            parquet_files.append(path)
        connection.execute("detach build")
    finally:
        connection.close()
    return Published(parquet_files, into.warehouse_path, row_counts)
