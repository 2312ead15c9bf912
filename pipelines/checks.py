"""Blocking asset checks: the loaded extract tables must satisfy their pandera schemas.

Ingest quarantines failing rows before they are stored, so these checks guard the stored
tables themselves (a changed rule, a hand edit, a bug): a failure stops dbt from building
marts on data that breaks the documented rules.
"""

import dagster as dg
import pandera.pandas as pa

from pipelines.assets.ingest import EXTRACT_KEYS
from pipelines.resources import WarehouseResource
from schemas import EXTRACTS
from schemas.extract_spec import ExtractSpec

MAX_FAILURES_SHOWN = 20


def current_rows_query(spec: ExtractSpec) -> str:
    return (
        f"select rows.* from raw.{spec.name} as rows "
        "join raw.load_log as loads using (load_id) where loads.status = 'current'"
    )


def validate_stored_extract(spec: ExtractSpec, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.build_connection() as connection:
        frame = connection.execute(current_rows_query(spec)).df()
    try:
        spec.schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        summary = cases.groupby(["column", "check"], dropna=False).size().reset_index(name="failures")
        return dg.AssetCheckResult(
            passed=False,
            metadata={
                "rows_checked": len(frame),
                "failures": len(cases),
                "by_rule": dg.MetadataValue.md(summary.head(MAX_FAILURES_SHOWN).to_markdown(index=False)),
            },
        )
    return dg.AssetCheckResult(passed=True, metadata={"rows_checked": len(frame)})


def _stored_extract_check(name: str) -> dg.AssetChecksDefinition:
    spec = EXTRACTS[name]

    @dg.asset_check(
        asset=EXTRACT_KEYS[name],
        name=f"{name}_matches_schema",
        blocking=True,
        description=f"Current rows of raw.{name} pass the pandera schema schemas/{name}.py",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        return validate_stored_extract(spec, warehouse)

    return _check


EXTRACT_CHECKS = [_stored_extract_check(name) for name in EXTRACTS]
