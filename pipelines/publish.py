"""Publishing: copy checked marts to where users read them, each in one atomic step.

Users never open the build warehouse. They read data/marts/*.parquet and the published
warehouse data/warehouse.duckdb, which holds only the marts and reference tables (no
extract rows, pseudonymised or not). Each file is written under a temporary name in the
same folder and renamed over the old one, so a reader sees the old file or the new one,
never half of either, and a failed or killed run leaves the last published files as they were.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

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


def _temporary_name(final: Path) -> Path:
    return final.with_name(f".{final.name}.{os.getpid()}.tmp")


def remove_leftovers(settings: Settings) -> list[Path]:
    """Temporary files of a publish that was killed part-way. Only one run writes at a
    time, so any found now are leftovers; the published files were never touched by them."""
    leftovers = [path for folder in (settings.data_dir, settings.marts_dir) for path in folder.glob(".*.tmp")]
    for path in leftovers:
        path.unlink(missing_ok=True)
    return leftovers


def publish(settings: Settings) -> Published:
    settings.marts_dir.mkdir(parents=True, exist_ok=True)
    remove_leftovers(settings)
    staged_warehouse = _temporary_name(settings.warehouse_path)
    staged_warehouse.unlink(missing_ok=True)
    renames: list[tuple[Path, Path]] = []
    row_counts: dict[str, int] = {}
    connection = duckdb.connect(str(staged_warehouse))
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
            final = settings.marts_dir / f"{table}.parquet"
            staged = _temporary_name(final)
            connection.execute(f"copy marts.{table} to {sql_string(staged)} (format parquet)")
            renames.append((staged, final))
        connection.execute("detach build")
    finally:
        connection.close()
    renames.append((staged_warehouse, settings.warehouse_path))
    for staged, final in renames:
        os.replace(staged, final)
    return Published([final for _, final in renames[:-1]], settings.warehouse_path, row_counts)
