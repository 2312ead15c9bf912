"""Publish: after dbt built and tested the marts, hand them to users atomically."""

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from pipelines.assets.transform import sendkpi_dbt_models
from pipelines.fingerprint import record_published
from pipelines.public_export import write_public_export
from pipelines.publish import publish
from pipelines.report.write import write_scrutiny_pack
from pipelines.resources import WarehouseResource

PUBLISHED_MARTS = [
    "kpi_comparison",
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
    description="data/marts/*.parquet and data/warehouse.duckdb (marts only), each replaced in one step",
)
def published_marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings()
    published = publish(settings)
    context.log.info(f"Published {len(published.parquet_files)} marts to {settings.marts_dir}")
    return dg.MaterializeResult(
        metadata={
            "marts_dir": str(settings.marts_dir),
            "warehouse": str(published.warehouse),
            **{f"rows.{table}": rows for table, rows in published.row_counts.items()},
        }
    )


@dg.asset(
    key=dg.AssetKey(["published", "open_data"]),
    deps=[published_marts],
    group_name="publish",
    description=(
        "data/published/kpi_comparison_public.csv: the comparison for the public, counts of 1-4 "
        "and rates built on them shown as c (threshold: small_count_threshold)"
    ),
)
def open_data_export(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    written = write_public_export(warehouse.settings())
    context.log.info(f"Open data: {', '.join(str(path) for path in written)}")
    return dg.MaterializeResult(metadata={"files": [str(path) for path in written]})


@dg.asset(
    key=dg.AssetKey(["published", "scrutiny_pack"]),
    deps=[open_data_export],
    group_name="publish",
    description=(
        "data/published/scorecard.html (one self-contained page: headline, a section per family, "
        "DSG) and data/published/send_kpis.xlsx (KPIs, DSG monitoring, deficit projection with a chart, "
        "assumptions, sources), both from the published files"
    ),
)
def scrutiny_pack(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings()
    written = write_scrutiny_pack(settings, context.run_id)
    context.log.info(f"Scrutiny pack: {', '.join(str(path) for path in written)}")
    # Everything is published: the next run with the same inputs has nothing to do.
    record_published(settings, context.run_id)
    return dg.MaterializeResult(metadata={"files": [str(path) for path in written]})
