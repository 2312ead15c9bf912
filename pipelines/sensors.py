"""A sensor on the drop zone: a new or changed extract file (by content, not timestamp)
starts a run for the quarters it belongs to."""

from __future__ import annotations

import hashlib
import json

import dagster as dg

from pipelines.ingest.drop_zone import survey
from pipelines.ingest.files import file_sha256
from pipelines.jobs import refresh_all
from pipelines.notify import notify_run
from pipelines.partitions import (
    FINANCIAL_QUARTERS,
    quarters_to_date,
    range_tags,
    register_quarters,
    unregistered_quarters,
)
from pipelines.periods import FinancialQuarter
from pipelines.run_report import published_in, summarise_run, write_run_report
from pipelines.settings import Settings, load_settings


def extract_file_hashes(settings: Settings) -> dict[str, str]:
    """Every extract file in the drop zone (relative path) and the SHA-256 of its content,
    and the aggregate returns (raw/dsg/, raw/neet/, raw/school_census/: no quarter in their
    names, so a change runs every quarter)."""
    return {
        str(path.relative_to(settings.raw_dir)): file_sha256(path)
        for files in survey(settings.raw_dir).files.values()
        for path in files
    }


def changed_files(previous: dict[str, str], current: dict[str, str]) -> dict[str, str]:
    """Files that are new or whose content differs; a file only renamed (same content under
    another name) counts too, and ingest then reports it as unchanged."""
    return {path: sha for path, sha in current.items() if previous.get(path) != sha}


def run_request_for(changed: dict[str, str], known: list[str]) -> dg.RunRequest:
    """One run (one writer) from the earliest to the latest changed quarter; a file with no
    quarter in its name, or one outside the known quarters, makes it a run over all of them."""
    quarters = [FinancialQuarter.find_in(path.rsplit("/", 1)[-1]) for path in changed]
    labels = sorted({quarter.label for quarter in quarters if quarter is not None})
    whole = any(quarter is None for quarter in quarters) or not set(labels) <= set(known)
    tags = range_tags(known[0], known[-1]) if whole else range_tags(labels[0], labels[-1])
    run_key = hashlib.sha256(json.dumps(sorted(changed.items())).encode()).hexdigest()
    return dg.RunRequest(run_key=run_key, tags=tags)


@dg.sensor(
    job=refresh_all,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="New or changed files in data/raw/<extract>/ (by SHA-256) start a run for their quarters; in a returns folder (dsg, neet, school_census), a run over all",
)
def new_extract_files(context: dg.SensorEvaluationContext):
    current = extract_file_hashes(load_settings())
    previous = json.loads(context.cursor) if context.cursor else {}
    changed = changed_files(previous, current)
    context.update_cursor(json.dumps(current, sort_keys=True))
    if not changed:
        return dg.SkipReason("no new or changed extract files")
    register_quarters(context.instance)
    return run_request_for(changed, quarters_to_date())


@dg.sensor(
    minimum_interval_seconds=3600,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Adds each new financial quarter to the partitions on its first day (a service left running does not keep the quarters of the day it started)",
)
def new_financial_quarters(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    missing = unregistered_quarters(context.instance)
    if not missing:
        return dg.SkipReason("every quarter to date is a partition")
    return dg.SensorResult(dynamic_partitions_requests=[FINANCIAL_QUARTERS.build_add_request(missing)])


def _write_report(context: dg.RunStatusSensorContext) -> dg.SkipReason | None:
    """The run report for a scheduled or sensor-started run (the CLI writes its own), and a
    notification when it failed or published with problems."""
    run = context.dagster_run
    if run.tags.get("sendkpi/launched_by") == "cli":
        return dg.SkipReason("run started from the command line: it wrote its own report")
    events = [record.dagster_event for record in context.instance.all_logs(run.run_id) if record.dagster_event]
    published = published_in(events)
    settings = load_settings()
    path = write_run_report(settings, run.run_id, events, published)
    context.log.info(f"Run report: {path}")
    # A failed or partly failed unattended run tells people (pipelines/notify.py).
    for outcome in notify_run(settings, summarise_run(events, published), run.run_id, path):
        (context.log.warning if "failed" in outcome else context.log.info)(f"Notification: {outcome}")
    return None


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[refresh_all],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Writes data/run_reports/<time>_<run>.md for every successful refresh; notifies ([notify]) when it published with problems",
)
def report_successful_run(context: dg.RunStatusSensorContext):
    return _write_report(context)


@dg.run_failure_sensor(
    monitored_jobs=[refresh_all],
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Writes data/run_reports/<time>_<run>.md for every failed refresh (what failed and why) and notifies ([notify])",
)
def report_failed_run(context: dg.RunFailureSensorContext):
    return _write_report(context)
