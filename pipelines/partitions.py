"""Local extracts are partitioned by financial quarter ("2023-24_Q2", as in file names).

The keys run from the `first_quarter` setting to the quarter holding today; a run covers one
quarter (an analyst's materialisation or backfill) or a range (the nightly refresh, the CLI)
in a single run, because DuckDB takes one writer at a time.
"""

from __future__ import annotations

from datetime import date

import dagster as dg

from pipelines.periods import FinancialQuarter
from pipelines.settings import load_settings

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def financial_quarter_keys(first: FinancialQuarter, last: FinancialQuarter) -> list[str]:
    """Every quarter from first to last inclusive, in order."""
    keys, quarter = [], first
    while quarter <= last:
        keys.append(quarter.label)
        quarter = quarter.next()
    return keys


def range_tags(first_key: str, last_key: str) -> dict[str, str]:
    """Run tags asking for every partition from first_key to last_key in one run."""
    return {RANGE_START_TAG: first_key, RANGE_END_TAG: last_key}


FINANCIAL_QUARTERS = dg.StaticPartitionsDefinition(
    financial_quarter_keys(
        FinancialQuarter.parse(load_settings().first_quarter), FinancialQuarter.containing(date.today())
    )
)


def all_quarters_tags() -> dict[str, str]:
    keys = FINANCIAL_QUARTERS.get_partition_keys()
    return range_tags(keys[0], keys[-1])
