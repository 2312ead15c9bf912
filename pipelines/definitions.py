"""The Dagster code location: one Definitions (`dagster dev` loads this module)."""

from __future__ import annotations

import dagster as dg

from pipelines.assets.fetch import dfe_releases, fetch_dfe_releases, monthly_dfe_fetch
from pipelines.assets.ingest import RETURN_ASSETS, dfe_published_files, local_extracts
from pipelines.assets.publish import open_data_export, published_marts, published_set, scrutiny_pack
from pipelines.assets.transform import sendkpi_dbt_models
from pipelines.checks import EXTRACT_CHECKS
from pipelines.jobs import refresh_all
from pipelines.resources import build_resources
from pipelines.schedules import nightly_refresh
from pipelines.sensors import (
    new_extract_files,
    new_financial_quarters,
    report_failed_run,
    report_successful_run,
)

# What the refresh job builds and publishes, and the sensors that report on its runs: named
# once here so that a test code location (tests/service_location.py) serves the same ones.
REFRESH_ASSETS = [
    local_extracts,
    dfe_published_files,
    *RETURN_ASSETS,
    sendkpi_dbt_models,
    published_marts,
    open_data_export,
    scrutiny_pack,
    published_set,
]
RUN_REPORT_SENSORS = [report_successful_run, report_failed_run]

defs = dg.Definitions(
    assets=[*REFRESH_ASSETS, dfe_releases],
    asset_checks=EXTRACT_CHECKS,
    jobs=[refresh_all, fetch_dfe_releases],
    schedules=[nightly_refresh, monthly_dfe_fetch],
    sensors=[new_extract_files, new_financial_quarters, *RUN_REPORT_SENSORS],
    resources=build_resources(),
)
