"""A code location for tests/test_service.py: the product's assets, job and report sensors,
with a schedule that ticks every minute instead of the nightly one (and no new-files sensor,
so the only run is the schedule's)."""

from __future__ import annotations

import dagster as dg

from pipelines.assets.ingest import RETURN_ASSETS, dfe_published_files, local_extracts
from pipelines.assets.publish import open_data_export, published_marts, scrutiny_pack
from pipelines.assets.transform import sendkpi_dbt_models
from pipelines.checks import EXTRACT_CHECKS
from pipelines.jobs import refresh_all
from pipelines.partitions import all_quarters_tags
from pipelines.resources import build_resources
from pipelines.sensors import report_failed_run, report_successful_run

EVERY_MINUTE_SCHEDULE = "every_minute_test"


@dg.schedule(
    name=EVERY_MINUTE_SCHEDULE,
    cron_schedule="* * * * *",
    job=refresh_all,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def every_minute(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(run_key=f"minute-{context.scheduled_execution_time:%H%M}", tags=all_quarters_tags())


defs = dg.Definitions(
    assets=[
        local_extracts,
        dfe_published_files,
        *RETURN_ASSETS,
        sendkpi_dbt_models,
        published_marts,
        open_data_export,
        scrutiny_pack,
    ],
    asset_checks=EXTRACT_CHECKS,
    jobs=[refresh_all],
    schedules=[every_minute],
    sensors=[report_successful_run, report_failed_run],
    resources=build_resources(),
)
