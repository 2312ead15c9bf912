"""Resources: the build warehouse and the dbt CLI."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource

from pipelines.dbt_project import dbt_executable, sendkpi_dbt_project
from pipelines.settings import Settings, load_settings
from pipelines.warehouse import connect
from pipelines.writer_slot import writer_slot


class WarehouseResource(dg.ConfigurableResource):
    """The build warehouse (private to the pipeline) and the settings it is built with.

    Settings are read when a run starts, so SENDKPI_* variables set for a run apply to it. A
    run holds the warehouse's writer slot from start to end (pipelines/writer_slot.py): a
    second run waits for it with a message instead of failing on DuckDB's lock. (Runs execute
    in process, so the resource is set up once per run.)
    """

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Generator[WarehouseResource, None, None]:
        holder = f"run {context.run_id}" if context.run_id else "a run"
        log = context.log.warning if context.log else print
        with writer_slot(self.settings().build_warehouse_path, holder, log):
            yield self

    def settings(self) -> Settings:
        return load_settings()

    @contextmanager
    def build_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        settings = self.settings()
        with connect(
            settings.build_warehouse_path,
            memory_limit=settings.duckdb_memory_limit,
            threads=settings.duckdb_threads,
            spill_dir=settings.duckdb_spill_dir,
        ) as connection:
            yield connection


def build_resources() -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(),
        "dbt": DbtCliResource(project_dir=sendkpi_dbt_project, dbt_executable=dbt_executable()),
    }
