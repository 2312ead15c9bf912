"""A code location for tests/test_service.py's queue test: the product's assets, job and
report sensors, with no schedule and no new-files sensor, so the only runs are the ones the
command line submits."""

from __future__ import annotations

import dagster as dg

from pipelines.checks import EXTRACT_CHECKS
from pipelines.definitions import REFRESH_ASSETS, RUN_REPORT_SENSORS
from pipelines.jobs import refresh_all
from pipelines.resources import build_resources

defs = dg.Definitions(
    assets=REFRESH_ASSETS,
    asset_checks=EXTRACT_CHECKS,
    jobs=[refresh_all],
    sensors=RUN_REPORT_SENSORS,
    resources=build_resources(),
)
