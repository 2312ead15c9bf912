"""Fetching DfE's releases as an asset: the same fetch as `sendkpi benchmarks fetch`
(pipelines/fetch.py: retries with back-off, every file verified, the last good file kept on
any failure), run monthly by its own schedule, with the provenance as the asset's metadata
and a data version that changes only when a fetched file's content does. Not part of
refresh_all: the nightly refresh reads whatever the last good fetch left."""

import hashlib
import json

import dagster as dg

from pipelines.fetch import FetchError, fetch_benchmarks, provenance_path
from pipelines.resources import WarehouseResource

FETCH_GROUP = "fetch"


def provenance_version(provenance: dict) -> str:
    """A data version from the fetched files' checksums (pure): the same files, the same version."""
    files = sorted((name, entry.get("sha256", "")) for name, entry in provenance.get("data_sets", {}).items())
    return hashlib.sha256(json.dumps(files).encode()).hexdigest()[:16]


@dg.asset(
    key=dg.AssetKey(["benchmarks", "dfe_releases"]),
    group_name=FETCH_GROUP,
    description=(
        "DfE's current releases from the EES API ([fetch.data_sets] in sendkpi.toml) in data/raw/benchmarks/, "
        "each verified before it replaces the last good file; provenance.json as metadata"
    ),
)
def dfe_releases(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings()
    try:
        outcomes = fetch_benchmarks(
            settings, lambda outcome: (context.log.info if outcome.ok else context.log.warning)(outcome.message)
        )
    except FetchError as error:
        raise dg.Failure(description=str(error)) from None
    failed = [outcome.message for outcome in outcomes if not outcome.ok]
    if len(failed) == len(outcomes):
        raise dg.Failure(
            description="no data set was fetched; the last good files are unchanged",
            metadata={"failures": dg.MetadataValue.md("\n".join(f"- {line}" for line in failed))},
        )
    provenance = json.loads(provenance_path(settings).read_text(encoding="utf-8"))
    return dg.MaterializeResult(
        metadata={
            "fetched": sum(outcome.ok for outcome in outcomes),
            "failed": dg.MetadataValue.md("\n".join(f"- {line}" for line in failed) or "none"),
            "provenance": dg.MetadataValue.json(provenance),
            "folder": str(settings.fetched_benchmarks_dir),
        },
        data_version=dg.DataVersion(provenance_version(provenance)),
    )


fetch_dfe_releases = dg.define_asset_job(
    "fetch_dfe_releases",
    selection=dg.AssetSelection.groups(FETCH_GROUP),
    executor_def=dg.in_process_executor,
    description="Download DfE's current releases (EES API), verified, with retries",
)

monthly_dfe_fetch = dg.ScheduleDefinition(
    name="monthly_dfe_fetch",
    job=fetch_dfe_releases,
    cron_schedule="0 3 1 * *",
    execution_timezone="Europe/London",
    # Off until [fetch.data_sets] holds real EES data set ids: switch it on in the UI then.
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="03:00 on the 1st of each month: fetch DfE's current releases (switch on once [fetch.data_sets] is set)",
)
