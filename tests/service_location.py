"""A code location for tests/test_service.py: the product's assets, job and report sensors,
with a schedule that ticks every minute instead of the nightly one (and no new-files sensor,
so the only run is the schedule's)."""

from __future__ import annotations

import dagster as dg

from pipelines.checks import EXTRACT_CHECKS
from pipelines.definitions import REFRESH_ASSETS, RUN_REPORT_SENSORS
from pipelines.jobs import refresh_all
from pipelines.partitions import all_quarters_tags
from pipelines.resources import build_resources

EVERY_MINUTE_SCHEDULE = "every_minute_test"


@dg.schedule(
    name=EVERY_MINUTE_SCHEDULE,
    cron_schedule="* * * * *",
    job=refresh_all,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def every_minute(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(
        run_key=f"minute-{context.scheduled_execution_time:%H%M}", tags=all_quarters_tags(context.instance)
    )


defs = dg.Definitions(
    assets=REFRESH_ASSETS,
    asset_checks=EXTRACT_CHECKS,
    jobs=[refresh_all],
    schedules=[every_minute],
    sensors=RUN_REPORT_SENSORS,
    resources=build_resources(),
)
