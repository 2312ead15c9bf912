"""Jobs. Runs execute in process: the multiprocess executor adds seconds of start-up per
step and DuckDB allows one writing process anyway."""

from __future__ import annotations

import dagster as dg

from pipelines.partitions import FINANCIAL_QUARTERS

# Runs that write the build warehouse carry this tag; dagster.yaml limits them to one at a
# time, because DuckDB allows a single writing process.
WAREHOUSE_WRITER_TAG = {"sendkpi/warehouse": "build"}

refresh_all = dg.define_asset_job(
    "refresh_all",
    # Everything but the monthly DfE fetch (pipelines/assets/fetch.py), which has its own job.
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("fetch"),
    executor_def=dg.in_process_executor,
    partitions_def=FINANCIAL_QUARTERS,
    tags=WAREHOUSE_WRITER_TAG,
    description=(
        "Load extracts (one quarter, or a range of quarters in one run) and DfE files, "
        "build and test the marts, publish them"
    ),
)
