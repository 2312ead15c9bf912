"""Ingest assets: local extracts and DfE published files into the build warehouse."""
# Dagster reads the `context` annotation at definition time: no postponed annotations here.

import dagster as dg

from pipelines.fingerprint import record_candidate
from pipelines.ingest.dfe import CANONICAL_TABLES, load_published_folder
from pipelines.ingest.drop_zone import survey
from pipelines.ingest.extracts import LoadPolicy, load_extract_folder, report_notices
from pipelines.ingest.keys import check_same_key, pseudonymisation_key
from pipelines.ingest.returns import (
    DSG,
    NEET,
    RETURN_FOLDERS,
    SCHOOL_CENSUS,
    ReturnFile,
    ReturnFolder,
    load_returns_folder,
)
from pipelines.partitions import FINANCIAL_QUARTERS
from pipelines.resources import WarehouseResource
from pipelines.run_report import (
    extract_outcomes_metadata,
    extract_quarantine_reasons,
    quarantine_reasons_metadata,
    return_files_metadata,
    returns_quarantine_reasons,
)
from pipelines.settings import SettingsError
from pipelines.warehouse import ensure_raw_tables
from schemas import EXTRACTS

RAW = "raw"
EXTRACT_KEYS = {name: dg.AssetKey([RAW, name]) for name in EXTRACTS}
LOAD_LOG_KEY = dg.AssetKey([RAW, "load_log"])
QUARANTINE_KEY = dg.AssetKey([RAW, "quarantine"])


@dg.multi_asset(
    specs=[
        *(
            dg.AssetSpec(key, description=EXTRACTS[name].description, group_name="ingest")
            for name, key in EXTRACT_KEYS.items()
        ),
        dg.AssetSpec(LOAD_LOG_KEY, description="Every extract file seen and what became of it", group_name="ingest"),
        dg.AssetSpec(
            QUARANTINE_KEY, description="Rows that failed a row-level rule, with the rule", group_name="ingest"
        ),
    ],
    can_subset=False,
    partitions_def=FINANCIAL_QUARTERS,
    # A range of quarters (a backfill, the nightly refresh) loads in one run: one writer.
    backfill_policy=dg.BackfillPolicy.single_run(),
    description="Validate and load the quarterly extracts in data/raw/<extract>/ (docs/extracts.md)",
)
def local_extracts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    settings = warehouse.settings()
    quarters = quarters_of_run(
        context.partition_keys, FINANCIAL_QUARTERS.get_partition_keys(dynamic_partitions_store=context.instance)
    )
    if quarters is None:
        # Taken before loading: what this run reads, recorded as published when it publishes.
        record_candidate(settings, context.run_id)
    try:
        key = pseudonymisation_key(settings)
    except SettingsError as error:
        raise dg.Failure(description=str(error)) from None
    outcomes = []
    with warehouse.build_connection() as connection:
        try:
            check_same_key(connection, key)
        except SettingsError as error:
            raise dg.Failure(description=str(error)) from None
        ensure_raw_tables(connection, list(EXTRACTS.values()))
        policy = LoadPolicy(settings.max_case_loss_pct, settings.max_quarantined_pct)
        drop_zone = survey(settings.raw_dir)
        for name, spec in EXTRACTS.items():
            outcomes.extend(
                load_extract_folder(
                    connection,
                    spec,
                    settings.raw_dir / name,
                    key,
                    quarters,
                    policy=policy,
                    data_dir=settings.data_dir,
                    files=drop_zone.files[name],
                )
            )
        # Entries that are no extract file: rejected or ignored, each with its reason.
        returns_folders = {returns.folder for returns in RETURN_FOLDERS}
        outcomes.extend(
            report_notices(
                connection, [n for n in drop_zone.notices if n.folder not in returns_folders], settings.data_dir
            )
        )
        quarantined_loads = [
            (outcome.extract, outcome.path.name)
            for outcome in outcomes
            if outcome.status in ("loaded", "held") and outcome.rows_quarantined
        ]
        reasons = extract_quarantine_reasons(connection, quarantined_loads)
    for outcome in outcomes:
        log = context.log.warning if outcome.status in ("rejected", "held") else context.log.info
        log(f"{outcome.path.name}: {outcome.status}: {outcome.message}")
    metadata = extract_outcomes_metadata(outcomes)
    for name, asset_key in EXTRACT_KEYS.items():
        mine = [outcome for outcome in outcomes if outcome.extract == name]
        yield dg.MaterializeResult(asset_key=asset_key, metadata=extract_outcomes_metadata(mine))
    yield dg.MaterializeResult(asset_key=LOAD_LOG_KEY, metadata=metadata)
    yield dg.MaterializeResult(
        asset_key=QUARANTINE_KEY,
        metadata={"rows_quarantined": metadata["rows_quarantined"], **quarantine_reasons_metadata(reasons)},
    )


def quarters_of_run(run_keys: list[str], all_keys: list[str]) -> set[str] | None:
    """The quarters a run loads; None when it covers every partition, so that files for
    quarters outside the partition range are still seen (and rejected or loaded)."""
    return None if set(run_keys) >= set(all_keys) else set(run_keys)


DFE_KEYS = [dg.AssetKey([RAW, table]) for table in CANONICAL_TABLES] + [dg.AssetKey([RAW, "dfe_files"])]


@dg.multi_asset(
    specs=[dg.AssetSpec(key, group_name="benchmarks") for key in DFE_KEYS],
    can_subset=False,
    description="DfE published files (benchmarks and reference data), recognised by their header",
)
def dfe_published_files(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    settings = warehouse.settings()
    with warehouse.build_connection() as connection:
        files = load_published_folder(connection, settings.benchmarks_dir)
        statuses = connection.execute(
            "select file_name, status, message from raw.dfe_files order by file_name"
        ).fetchall()
        models = [
            row[0]
            for row in connection.execute("select distinct release from raw.dfe_sn_model_wide order by 1").fetchall()
        ]
    recognised = [published for published in files if published.recognised]
    for name, status, message in statuses:
        if status != "loaded":
            context.log.warning(f"{name}: {message}")
    if not recognised:
        raise dg.Failure(f"No DfE file with a known layout under {settings.benchmarks_dir}")
    chosen = f"sn_model_{settings.sn_model}"
    # Without the chosen model every neighbour mean is empty: the run still publishes every
    # other figure, and the run report lists this as a problem, never as a success.
    model_missing = (
        f"the statistical neighbour model chosen in settings (sn_model = {settings.sn_model}) is in no usable "
        f"file under the benchmarks folder (models found: {', '.join(models) or 'none'}): neighbour means are "
        f"empty. Add DfE's workbook for that model (its file name gives the year, e.g. sn_may_2025.xlsx) or set "
        f"sn_model to one found."
        if chosen not in models
        else ""
    )
    if model_missing:
        context.log.warning(model_missing)
    summary = {
        "benchmarks_dir": str(settings.benchmarks_dir),
        "files_recognised": len(recognised),
        "files_set_aside": sum(status == "set_aside" for _, status, _ in statuses),
        "neighbour_models": ", ".join(models),
        "neighbour_model_missing": model_missing,
        "files_not_loaded": dg.MetadataValue.md(
            "\n".join(f"- {name} ({status}): {message}" for name, status, message in statuses if status != "loaded")
            or "none"
        ),
    }
    for key in DFE_KEYS:
        yield dg.MaterializeResult(asset_key=key, metadata=summary)


# What each raw table of the aggregate returns holds, for the asset catalogue: its contract's description.
RETURN_TABLE_DESCRIPTIONS = {
    layout.name: layout.description for returns in RETURN_FOLDERS for layout in returns.layouts
}
RETURN_GROUPS = {DSG.folder: "finance", NEET.folder: "ingest", SCHOOL_CENSUS.folder: "ingest"}
RETURN_KEYS = {table: dg.AssetKey([RAW, table]) for returns in RETURN_FOLDERS for table in returns.tables}


def _returns_asset(returns: ReturnFolder) -> dg.AssetsDefinition:
    @dg.multi_asset(
        name=f"{returns.folder}_returns",
        specs=[
            dg.AssetSpec(
                RETURN_KEYS[table],
                group_name=RETURN_GROUPS[returns.folder],
                description=RETURN_TABLE_DESCRIPTIONS[table],
            )
            for table in returns.tables
        ],
        can_subset=False,
        description=f"The {returns.description} files in data/raw/{returns.folder}/ (docs/extracts.md), "
        "recognised by header and reloaded whole each run",
    )
    def _load(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        raw_dir = warehouse.settings().raw_dir
        folder = raw_dir / returns.folder
        drop_zone = survey(raw_dir)
        with warehouse.build_connection() as connection:
            files = load_returns_folder(connection, returns, folder, drop_zone.files[returns.folder])
            quarantined = any(found.rows_quarantined for found in files)
            reasons = returns_quarantine_reasons(connection, list(returns.tables)) if quarantined else []
        files += [
            ReturnFile(notice.path, None, f"{notice.path}: {notice.reason}")
            for notice in drop_zone.notices_in(returns.folder)
        ]
        if not files:
            context.log.info(f"No files in {folder}: the marts built on them will be empty")
        for found in files:
            (context.log.info if found.layout else context.log.warning)(found.message)
        not_recognised = dg.MetadataValue.md(
            "\n".join(f"- {found.message}" for found in files if found.layout is None) or "none"
        )
        for table in returns.tables:
            mine = [found for found in files if found.layout == table]
            yield dg.MaterializeResult(
                asset_key=RETURN_KEYS[table],
                metadata={
                    "folder": str(folder),
                    "files_loaded": len(mine),
                    "rows_loaded": sum(found.rows_loaded for found in mine),
                    "rows_quarantined": sum(found.rows_quarantined for found in mine),
                    "files_not_recognised": not_recognised,
                    **return_files_metadata(returns.folder, files),
                    **quarantine_reasons_metadata([reason for reason in reasons if reason["extract"] == table]),
                },
            )

    return _load


RETURN_ASSETS = [_returns_asset(returns) for returns in RETURN_FOLDERS]
