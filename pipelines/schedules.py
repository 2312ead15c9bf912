"""The nightly refresh: every quarter's files (unchanged ones are skipped by their hash),
the DfE files, marts rebuilt, tested and published."""

from __future__ import annotations

import dagster as dg

from pipelines.jobs import refresh_all
from pipelines.partitions import all_quarters_tags

NIGHTLY_CRON = "0 2 * * *"
LONDON = "Europe/London"


@dg.schedule(
    cron_schedule=NIGHTLY_CRON,
    execution_timezone=LONDON,
    job=refresh_all,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="02:00 Europe/London: refresh everything that changed and publish",
)
def nightly_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=f"nightly-{context.scheduled_execution_time:%Y-%m-%d}",
        tags=all_quarters_tags(),
    )
