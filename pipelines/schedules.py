"""The nightly refresh: every quarter's files (unchanged ones are skipped by their hash),
the DfE files, marts rebuilt, tested and published; no run at all when nothing it reads has
changed since the last published run (pipelines/fingerprint.py)."""

from __future__ import annotations

import dagster as dg

from pipelines.fingerprint import unchanged_since_published
from pipelines.jobs import refresh_all
from pipelines.partitions import all_quarters_tags
from pipelines.settings import load_settings

NIGHTLY_CRON = "0 2 * * *"
LONDON = "Europe/London"


@dg.schedule(
    cron_schedule=NIGHTLY_CRON,
    execution_timezone=LONDON,
    job=refresh_all,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="02:00 Europe/London: refresh everything that changed and publish",
)
def nightly_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    last_run = unchanged_since_published(load_settings())
    if last_run:
        return dg.SkipReason(f"Nothing changed since run {last_run} published: no load, no dbt model to run")
    return dg.RunRequest(
        run_key=f"nightly-{context.scheduled_execution_time:%Y-%m-%d}",
        tags=all_quarters_tags(context.instance),
    )
