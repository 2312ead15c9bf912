"""Resources: the build warehouse and the dbt CLI."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
from pydantic import Field

from pipelines.dbt_project import dbt_cli_resource
from pipelines.settings import Settings, load_settings
from pipelines.warehouse import connect
from pipelines.writer_slot import writer_slot


class DsgScenarioConfig(dg.Config):
    """One projection scenario, as a [dsg.scenarios.<name>] table (GBP thousands)."""

    high_needs_allocation_growth_pct: float = Field(default=0.0, description="Yearly growth of the allocation, %")
    high_needs_demand_growth_pct: float = Field(default=0.0, description="Yearly growth of high needs spend, %")
    savings_gbp_k: float = Field(default=0.0, description="Savings a year, GBP thousands")
    stated: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description='Amounts stated for a year: {"2024-25": {"high_needs_shortfall_gbp_k": ..., "other_blocks_gbp_k": ...}}',
    )


class DsgConfig(dg.Config):
    """The [dsg] settings a run may set; each one left empty keeps sendkpi.toml's."""

    statutory_override_end: str | None = Field(default=None, description="End of the statutory override, 31 March")
    projection_years: int | None = Field(default=None, description="Financial years projected")
    deficit_threshold_gbp_k: float | None = Field(default=None, description="Deficit threshold, GBP thousands")
    deficit_threshold_pct_of_allocation: float | None = Field(
        default=None, description="Deficit threshold, % of the high needs allocation"
    )
    scenarios: dict[str, DsgScenarioConfig] | None = Field(
        default=None, description="Projection scenarios by name (replace the file's)"
    )


class WarehouseResource(dg.ConfigurableResource):
    """The build warehouse (private to the pipeline) and the settings it is built with.

    Settings are read when a run starts, so SENDKPI_* variables set for a run apply to it.
    Each field below is one of those settings (README, "Settings"), typed and described, so
    Dagster's launchpad shows them: one set in a run's resource config (or given as
    `dg.EnvVar(...)` where the resource is built) overrides sendkpi.toml and the SENDKPI_*
    variables for that run, checked by the same rules (pipelines/settings.py); left empty,
    they change nothing. The two settings tables that change what a build computes are fields
    too (comparator_groups, dsg); [fetch] and [notify] belong to the service and the command
    line, not to a run. The pseudonymisation key is not among them: a secret stays in the
    environment or its file. A run holds the warehouse's writer slot from start to end
    (pipelines/writer_slot.py): a second run waits for it with a message instead of failing on
    DuckDB's lock. (Runs execute in process, so the resource is set up once per run.)
    """

    home_la: str | None = Field(default=None, description="Home authority: an old (885) or new (E10000034) LA code")
    data_dir: str | None = Field(
        default=None, description="Data folder: raw/ below it; warehouse and marts written there"
    )
    benchmarks_dir: str | None = Field(default=None, description="Folder of DfE's published files")
    sn_model: str | None = Field(default=None, description="Statistical neighbour model (release year)")
    small_count_threshold: int | None = Field(
        default=None, description="Counts below this are suppressed in what is published (5 at least)"
    )
    first_quarter: str | None = Field(default=None, description="First financial quarter partition, like 2014-15_Q1")
    max_case_loss_pct: float | None = Field(
        default=None, description="Hold back a new extract file dropping more than this % of its quarter's cases"
    )
    max_quarantined_pct: float | None = Field(
        default=None, description="Hold back an extract file with more than this % of its rows quarantined"
    )
    duckdb_memory_limit: str | None = Field(default=None, description="DuckDB memory limit in the loader and dbt")
    duckdb_threads: int | None = Field(default=None, description="DuckDB threads in the loader and dbt")
    trend_quarters: int | None = Field(default=None, description="Quarters a KPI's trend is fitted over (3 at least)")
    trend_horizon_quarters: int | None = Field(default=None, description="Furthest a trend is projected, in quarters")
    published_sets_kept: int | None = Field(default=None, description="Published sets kept for rollback")
    comparator_groups: dict[str, list[str]] | None = Field(
        default=None, description='Comparator groups: {"name": ["885", "E10000031"]}, replacing [comparator_groups]'
    )
    dsg: DsgConfig | None = Field(default=None, description="DSG projection settings ([dsg]) for this run")

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Generator[WarehouseResource, None, None]:
        holder = f"run {context.run_id}" if context.run_id else "a run"
        log = context.log.warning if context.log else print
        with writer_slot(self.settings().build_warehouse_path, holder, log):
            yield self

    def setting_overrides(self) -> dict[str, object]:
        """The settings this run's resource config sets (the fields not left empty)."""
        overrides = {name: value for name, value in self.model_dump().items() if value is not None}
        if "dsg" in overrides:
            overrides["dsg"] = {key: value for key, value in overrides["dsg"].items() if value is not None}
        return overrides

    def settings(self) -> Settings:
        return load_settings(overrides=self.setting_overrides())

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
        "dbt": dbt_cli_resource(),
    }
