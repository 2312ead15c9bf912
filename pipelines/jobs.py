"""Jobs. Runs execute in process: the multiprocess executor adds seconds of start-up per
step and DuckDB allows one writing process anyway."""

from __future__ import annotations

import dagster as dg

refresh_all = dg.define_asset_job(
    "refresh_all",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Load extracts and DfE files, build and test the marts, publish them",
)
