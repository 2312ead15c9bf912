"""The open-data export: published/kpi_comparison_public.csv, from the dbt model
kpi_comparison_public (dbt_project/models/marts/kpi_comparison_public.sql).

Staff read data/marts/*.parquet, which keep exact numbers. Anything meant for the public is the
model kpi_comparison_public: the reviewed columns of kpi_comparison, every figure as text, and
DfE's small-number suppression (a count from 1 to small_count_threshold - 1, default 5, so 1-4,
is `c`, DfE's symbol for confidential, and so is everything built on it; zero is shown as 0).
The suppression rules, primary and secondary, are in the model, with an enforced contract (a
column or type that differs stops the build) and tested by dbt (no local count of 1-4 shown)
and by tests/test_public_export.py. docs/statistics.md describes them for readers.

This module writes the model's published Parquet file as CSV, ordered, under a temporary name
and renamed, after two guards: the columns are exactly the reviewed list (PUBLIC_COLUMNS,
the model's contract) and none looks person-level."""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from pipelines.releases import PublishedSet
from pipelines.settings import Settings
from pipelines.warehouse import sql_string

PUBLIC_FILE_NAME = "kpi_comparison_public.csv"
PUBLIC_MART = "kpi_comparison_public.parquet"
SUPPRESSED = "c"  # DfE's symbol: confidential

# What the public file holds, in this order: the contract of kpi_comparison_public.
PUBLIC_COLUMNS = (
    "la_code",
    "la_new_code",
    "la_name",
    "region_code",
    "region_name",
    "kpi_id",
    "kpi_name",
    "polarity",
    "unit",
    "period_type",
    "period",
    "period_start",
    "period_end",
    "value_source",
    "numerator",
    "denominator",
    "value",
    "value_missing_reason",
    "england_value",
    "region_value",
    "sn_model",
    "sn_mean",
    "sn_count",
    "sn_included",
    "national_rank",
    "national_count",
    "quartile_band",
    "previous_value",
    "change",
    "benchmark_release",
)

_PERSON_LEVEL = re.compile(r"pseudonym|child|pupil|date_of_birth|_id")
_ALLOWED_ID_COLUMNS = frozenset({"kpi_id"})


class PublicExportError(RuntimeError):
    """The public file was not written; the message says why."""


def public_export_path(published: PublishedSet) -> Path:
    return published.published_dir / PUBLIC_FILE_NAME


def person_level_columns(columns: list[str] | tuple[str, ...]) -> list[str]:
    """Column names that look like person-level data (identifiers, pseudonyms, children)."""
    return [
        column
        for column in columns
        if column.lower() not in _ALLOWED_ID_COLUMNS and _PERSON_LEVEL.search(column.lower())
    ]


def _check_columns(columns: list[str], mart: Path) -> None:
    person_level = person_level_columns(columns)
    if person_level:
        raise PublicExportError(f"{mart} has person-level columns {person_level}: the public file is not written")
    if tuple(columns) != PUBLIC_COLUMNS:
        raise PublicExportError(
            f"{mart} has the columns {columns}, not the reviewed list {list(PUBLIC_COLUMNS)}: "
            "the public file is not written"
        )


def write_public_export(settings: Settings, into: PublishedSet) -> list[Path]:
    """Write published/kpi_comparison_public.csv of the set `into` from its
    kpi_comparison_public mart (a set is made current only when complete: pipelines/releases.py).

    Written under a temporary name and renamed, so a failure leaves no half-written file.
    Returns the files written.
    """
    mart = into.marts_dir / PUBLIC_MART
    if not mart.is_file():
        raise PublicExportError(f"{mart} does not exist: publish the marts first")
    final = public_export_path(into)
    final.parent.mkdir(parents=True, exist_ok=True)
    staged = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    connection = duckdb.connect()
    try:
        source = f"read_parquet({sql_string(mart)})"
        columns = [
            row[0]
            for row in connection.execute(f"select column_name from (describe select * from {source})").fetchall()
        ]
        _check_columns(columns, mart)
        query = f"select * from {source} order by kpi_id, period_type, period_start, value_source, la_code"
        connection.execute(f"copy ({query}) to {sql_string(staged)} (format csv, header true, delimiter ',')")
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    finally:
        connection.close()
    os.replace(staged, final)
    return [final]
