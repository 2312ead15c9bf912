"""Local extracts are partitioned by financial quarter ("2023-24_Q2", as in file names).

The keys run from the `first_quarter` setting to the quarter holding today. They are dynamic
partitions, registered in the Dagster instance whenever a run or a sensor needs them, so a
service left running gains each new quarter on its first day instead of keeping the quarters
of the day its code was loaded. A run covers one quarter (an analyst's materialisation or
backfill) or a range (the nightly refresh, the CLI) in a single run, because DuckDB takes one
writer at a time.
"""

from __future__ import annotations

from datetime import date

import dagster as dg

from pipelines.periods import FinancialQuarter
from pipelines.settings import load_settings

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"

FINANCIAL_QUARTERS = dg.DynamicPartitionsDefinition(name="financial_quarter")


def financial_quarter_keys(first: FinancialQuarter, last: FinancialQuarter) -> list[str]:
    """Every quarter from first to last inclusive, in order."""
    keys, quarter = [], first
    while quarter <= last:
        keys.append(quarter.label)
        quarter = quarter.next()
    return keys


def quarters_to_date(today: date | None = None) -> list[str]:
    """Every quarter from the first_quarter setting to the one holding today (read at each call)."""
    first = FinancialQuarter.parse(load_settings().first_quarter)
    return financial_quarter_keys(first, FinancialQuarter.containing(today or date.today()))


def unregistered_quarters(instance: dg.DagsterInstance, today: date | None = None) -> list[str]:
    """The quarters to date that the instance does not know as partitions yet."""
    known = set(instance.get_dynamic_partitions(FINANCIAL_QUARTERS.name))
    return [key for key in quarters_to_date(today) if key not in known]


def register_quarters(instance: dg.DagsterInstance, today: date | None = None) -> list[str]:
    """Add the quarters to date the instance does not know yet; returns the ones added."""
    missing = unregistered_quarters(instance, today)
    if missing:
        instance.add_dynamic_partitions(FINANCIAL_QUARTERS.name, missing)
    return missing


def range_tags(first_key: str, last_key: str) -> dict[str, str]:
    """Run tags asking for every partition from first_key to last_key in one run."""
    return {RANGE_START_TAG: first_key, RANGE_END_TAG: last_key}


def all_quarters_tags(instance: dg.DagsterInstance, today: date | None = None) -> dict[str, str]:
    """Tags for a run over every quarter to date, after registering any the instance lacks
    (a run can only name partitions its instance knows)."""
    register_quarters(instance, today)
    keys = quarters_to_date(today)
    return range_tags(keys[0], keys[-1])
