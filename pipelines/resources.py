"""Resources: the build warehouse and the dbt CLI."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource

from pipelines.dbt_project import dbt_executable, sendkpi_dbt_project
from pipelines.settings import Settings, load_settings
from pipelines.warehouse import connect


class WarehouseResource(dg.ConfigurableResource):
    """The build warehouse (private to the pipeline) and the settings it is built with.

    Settings are read when a run starts, so SENDKPI_* variables set for a run apply to it.
    """

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
