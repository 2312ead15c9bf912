"""Blocking asset checks: the loaded input tables must satisfy their pandera schemas.

Ingest quarantines failing rows before they are stored (SQL from the same contracts), so
these checks guard the stored tables themselves (a changed rule, a hand edit, a bug in the
loader): a failure stops dbt from building marts on data that breaks the documented rules.
The schema is the contract's (schemas/validation.py), validated where the rows are, in
DuckDB (pandera's ibis backend). Case extracts: the current load of each quarter; returns:
the whole table (it holds the folder as it is now).
"""

import dagster as dg

from pipelines.assets.ingest import EXTRACT_KEYS, RETURN_KEYS
from pipelines.resources import WarehouseResource
from schemas import CONTRACTS
from schemas.contract import Contract
from schemas.validation import validate_query


def current_rows_query(spec: Contract) -> str:
    """The rows the marts are built from: a case extract's current loads, a return's whole table."""
    if not spec.is_case_extract:
        return f"select * from raw.{spec.name}"
    columns = (
        ", ".join(f"rows.{name}" for name, _ in spec.provenance_columns[1:])
        + ", "
        + ", ".join(f"rows.{name}" for name in spec.column_names)
    )
    return (
        f"select {columns} from raw.{spec.name} as rows "
        "join raw.load_log as loads using (load_id) where loads.status = 'current'"
    )


def validate_stored_extract(spec: Contract, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.build_connection() as connection:
        result = validate_query(connection, spec, current_rows_query(spec))
    if result.passed:
        return dg.AssetCheckResult(passed=True, metadata={"rows_checked": result.rows_checked})
    return dg.AssetCheckResult(
        passed=False,
        metadata={
            "rows_checked": result.rows_checked,
            "failures": result.failures,
            "by_rule": dg.MetadataValue.md(result.by_rule.to_markdown(index=False)),
        },
    )


def _stored_extract_check(name: str) -> dg.AssetChecksDefinition:
    spec = CONTRACTS[name]

    @dg.asset_check(
        asset=EXTRACT_KEYS.get(name) or RETURN_KEYS[name],
        name=f"{name}_matches_schema",
        blocking=True,
        description=f"The rows of raw.{name} the marts use pass the pandera schema of the contract schemas/{name}.py",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        return validate_stored_extract(spec, warehouse)

    return _check


EXTRACT_CHECKS = [_stored_extract_check(name) for name in CONTRACTS]
