"""Publish: after dbt built and tested the marts, each step writes its part of this run's
published set; the last makes the complete set current in one switch (pipelines/releases.py)."""

from pathlib import Path

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from pipelines import releases
from pipelines.assets.transform import sendkpi_dbt_models
from pipelines.fingerprint import record_published
from pipelines.public_export import write_public_export
from pipelines.publish import publish
from pipelines.report.write import write_scrutiny_pack
from pipelines.resources import WarehouseResource

PUBLISHED_MARTS = [
    "kpi_comparison",
    "kpi_headline",
    "extract_load_summary",
    "la_code_resolution",
    "dsg_monitoring",
    "dsg_deficit_projection",
    "dsg_deficit_threshold",
    "dfe_file_status",
    "kpi_trend",
    "kpi_comparator_groups",
    "kpi_authority_values",
]


@dg.asset(
    key=dg.AssetKey(["published", "marts"]),
    deps=[get_asset_key_for_model([sendkpi_dbt_models], model) for model in PUBLISHED_MARTS],
    group_name="publish",
    description="The run's published set: marts/*.parquet and warehouse.duckdb (marts and reference tables only)",
)
def published_marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings()
    published = publish(settings, releases.begin(settings, context.run_id))
    context.log.info(f"{len(published.parquet_files)} marts written to this run's set")
    return dg.MaterializeResult(
        metadata={
            "marts_dir": str(settings.marts_dir),
            "warehouse": str(settings.warehouse_path),
            **{f"rows.{table}": rows for table, rows in published.row_counts.items()},
        }
    )


@dg.asset(
    key=dg.AssetKey(["published", "open_data"]),
    deps=[published_marts],
    group_name="publish",
    description=(
        "published/kpi_comparison_public.csv of the run's set: the comparison for the public, counts of "
        "1-4 and rates built on them shown as c (threshold: small_count_threshold)"
    ),
)
def open_data_export(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings()
    return _files_written(
        context, "Open data", write_public_export(settings, releases.being_built(settings, context.run_id))
    )


@dg.asset(
    key=dg.AssetKey(["published", "scrutiny_pack"]),
    deps=[open_data_export],
    group_name="publish",
    description=(
        "published/scorecard.html (one self-contained page: headline, a section per family, DSG) and "
        "published/send_kpis.xlsx (KPIs, DSG monitoring, deficit projection with a chart, assumptions, "
        "sources) of the run's set, from the set's own files"
    ),
)
def scrutiny_pack(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings()
    written = write_scrutiny_pack(settings, context.run_id, releases.being_built(settings, context.run_id))
    return _files_written(context, "Scrutiny pack", written)


def _files_written(context: dg.AssetExecutionContext, what: str, written: list[Path]) -> dg.MaterializeResult:
    """Say which files a publishing step wrote, in the log and the materialisation."""
    names = [path.name for path in written]
    context.log.info(f"{what}: {', '.join(names)}")
    return dg.MaterializeResult(metadata={"files": names})


@dg.asset(
    key=dg.AssetKey(["published", "current"]),
    deps=[scrutiny_pack],
    group_name="publish",
    description=(
        "data/current: the run's complete set (with manifest.json: run, inputs, checksums) made current "
        "in one switch; data/marts, data/warehouse.duckdb and data/published read through it; the last "
        "published_sets_kept sets are kept for `sendkpi published rollback`"
    ),
)
def published_set(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings()
    name = releases.complete(settings, context.run_id)
    context.log.info(f"Published set {name} is current")
    # Everything is published: the next run with the same inputs has nothing to do.
    record_published(settings, context.run_id)
    return dg.MaterializeResult(
        metadata={"set": name, "sets_kept": releases.set_names(settings), "current": str(settings.data_dir / "current")}
    )
