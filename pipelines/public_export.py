"""The open-data export: marts.kpi_comparison for the public, with small-number suppression.

Staff read data/marts/*.parquet, which keep exact numbers. Anything meant for the public is
written here instead, to data/published/kpi_comparison_public.csv, and applies DfE's
small-number suppression: a count from 1 to threshold - 1 (setting small_count_threshold,
default 5, so 1-4) is shown as `c`, DfE's symbol for confidential, and so is everything
built on it. Zero is shown as 0 (DfE's convention: a zero is not disclosive).

Rules, for rows computed from our extracts (value_source = 'local'):

- numerator and denominator: each shown as `c` when it is from 1 to threshold - 1.
- A row is *suppressed* when its numerator or its denominator is shown as `c`. Then its
  value is `c`, and so are its change, national_rank and quartile_band (where they exist):
  the change is value minus the previous value, and the rank and band place our value
  between other authorities' published values, so each would give the value away.
- previous_value is `c` when the row of the immediately preceding period of the same series
  (same authority, KPI, period type and value source; its period_end is the day before this
  row's period_start) is suppressed, and the change is `c` too (it would give that previous
  value away). A previous value whose preceding row cannot be found is withheld as well.
- Cells that are empty in the mart (no previous period, no benchmark) stay empty.

Rows whose value_source names a DfE release are DfE's own published figures, already
suppressed by DfE: they are kept as published. Benchmark columns (england_value,
region_value, sn_mean, sn_count, sn_included, national_count, benchmark_release) describe other
authorities' published figures and are kept on every row.

Values (value, previous_value, change, england_value, region_value, sn_mean) are rounded to
one decimal place, halves away from zero (21.25 -> 21.3), as DfE publishes percentages;
rates per 100 pupils to two (as DfE publishes exclusion rates); whole counts are shown
without decimals. The change is rounded from the exact values, so it can differ by 0.1 from
the difference of the rounded ones. Counts are whole numbers; dates are YYYY-MM-DD. The columns are
an explicit list (PUBLIC_COLUMNS): a column added to the mart is not published until it is
added here. is_small_count, an internal flag, is left out. A guard refuses to write the file
when any column of the mart or of the export looks person-level.

Limits (documented, not handled): no secondary suppression. A suppressed quarter can in
principle be recovered by differencing its calendar year and the other quarters, a
suppressed advice type from advice_6wk and the other types, a suppressed school phase or SEN
status of the permanent exclusions from the total and the other breakdowns, and the number of exceptions
from the two 20-week KPIs; a small complement (denominator minus numerator) is not
suppressed either. Review the file before it goes out where such differencing matters.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from pipelines.settings import Settings

PUBLIC_FILE_NAME = "kpi_comparison_public.csv"
SUPPRESSED = "c"  # DfE's symbol: confidential

# What the public file holds, in this order. Every other mart column is left out.
PUBLIC_COLUMNS = (
    "la_code", "la_new_code", "la_name", "region_code", "region_name",
    "kpi_id", "kpi_name", "polarity", "unit",
    "period_type", "period", "period_start", "period_end", "value_source",
    "numerator", "denominator", "value", "value_missing_reason",
    "england_value", "region_value", "sn_model", "sn_mean", "sn_count", "sn_included",
    "national_rank", "national_count", "quartile_band",
    "previous_value", "change", "benchmark_release",
)
# Mart columns deliberately not published. A column added to the mart later stays out of the
# public file until it is reviewed and added to PUBLIC_COLUMNS.
INTERNAL_COLUMNS = ("is_small_count",)

_PERSON_LEVEL = re.compile(r"pseudonym|child|pupil|date_of_birth|_id")
_ALLOWED_ID_COLUMNS = frozenset({"kpi_id"})


class PublicExportError(RuntimeError):
    """The public file was not written; the message says why."""


def public_export_path(settings: Settings) -> Path:
    return settings.data_dir / "published" / PUBLIC_FILE_NAME


def person_level_columns(columns: list[str] | tuple[str, ...]) -> list[str]:
    """Column names that look like person-level data (identifiers, pseudonyms, children)."""
    return [
        column for column in columns
        if column.lower() not in _ALLOWED_ID_COLUMNS and _PERSON_LEVEL.search(column.lower())
    ]


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _count(column: str) -> str:
    """A count as public text: `c` when suppressed, else a whole number (empty when NULL)."""
    return (
        f"case when {column}_suppressed then '{SUPPRESSED}' "
        f"when {column} = round({column}) then cast(cast({column} as bigint) as varchar) "
        f"else cast({column} as varchar) end"
    )


def _rounded(expression: str) -> str:
    """A value as public text in its unit's precision: rates per 100 to two decimal places
    (DfE prints exclusion rates so), a whole count without decimals, anything else to one.
    + 0.0 turns -0.0 (a tiny negative change) into 0.0."""
    return (
        f"case when unit = 'rate_per_100' then format('{{:.2f}}', round({expression}, 2) + 0.0) "
        f"when unit = 'count' and {expression} = round({expression}) "
        f"then cast(cast({expression} as bigint) as varchar) "
        f"else format('{{:.1f}}', round({expression}, 1) + 0.0) end"
    )


def _public_query(mart: Path, threshold: int) -> str:
    def small(column: str) -> str:
        return f"(value_source = 'local' and {column} >= 1 and {column} < {threshold})"

    return f"""
with mart as (
    select * from read_parquet({_quote(mart)})
),
flagged as (
    select
        *,
        coalesce({small('numerator')}, false) as numerator_suppressed,
        coalesce({small('denominator')}, false) as denominator_suppressed,
        coalesce({small('numerator')} or {small('denominator')}, false) as row_suppressed
    from mart
),
with_previous as (
    select
        current_row.*,
        -- True when the preceding period's row is suppressed, or missing although the mart
        -- carries a previous value for it (withheld rather than guessed).
        current_row.value_source = 'local'
            and current_row.previous_value is not null
            and coalesce(previous_row.row_suppressed, true) as previous_suppressed
    from flagged as current_row
    left join flagged as previous_row
        on previous_row.la_code is not distinct from current_row.la_code
        and previous_row.kpi_id = current_row.kpi_id
        and previous_row.period_type = current_row.period_type
        and previous_row.value_source = current_row.value_source
        and cast(previous_row.period_end as date) + 1 = cast(current_row.period_start as date)
)
select
    la_code, la_new_code, la_name, region_code, region_name,
    kpi_id, kpi_name, polarity, unit,
    period_type, period,
    cast(period_start as date) as period_start,
    cast(period_end as date) as period_end,
    value_source,
    {_count('numerator')} as numerator,
    {_count('denominator')} as denominator,
    case when row_suppressed then '{SUPPRESSED}' else {_rounded('value')} end as value,
    value_missing_reason,
    {_rounded('england_value')} as england_value,
    {_rounded('region_value')} as region_value,
    sn_model,
    {_rounded('sn_mean')} as sn_mean,
    sn_count,
    sn_included,
    case when row_suppressed and national_rank is not null then '{SUPPRESSED}'
         else cast(national_rank as varchar) end as national_rank,
    national_count,
    case when row_suppressed and quartile_band is not null then '{SUPPRESSED}'
         else quartile_band end as quartile_band,
    case when previous_suppressed then '{SUPPRESSED}' else {_rounded('previous_value')} end as previous_value,
    case when change is not null and (row_suppressed or previous_suppressed) then '{SUPPRESSED}'
         else {_rounded('change')} end as change,
    benchmark_release
from with_previous
order by kpi_id, period_type, period_start, value_source
"""


def _check_columns(mart_columns: list[str], mart: Path) -> None:
    person_level = person_level_columns(mart_columns)
    if person_level:
        raise PublicExportError(
            f"{mart} has person-level columns {person_level}: the public file is not written"
        )
    missing = [column for column in PUBLIC_COLUMNS if column not in mart_columns]
    if missing:
        raise PublicExportError(f"{mart} lacks the columns {missing}: the public file is not written")


def write_public_export(settings: Settings) -> list[Path]:
    """Write data/published/kpi_comparison_public.csv from the published mart, suppressed.

    Written under a temporary name in the same folder and renamed over the previous file in
    one step, so a reader never sees half a file and a failure leaves the last one as it was.
    Returns the files written.
    """
    mart = settings.marts_dir / "kpi_comparison.parquet"
    if not mart.is_file():
        raise PublicExportError(f"{mart} does not exist: publish the marts first")
    final = public_export_path(settings)
    final.parent.mkdir(parents=True, exist_ok=True)
    staged = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    connection = duckdb.connect()
    try:
        mart_columns = [row[0] for row in connection.execute(
            f"select column_name from (describe select * from read_parquet({_quote(mart)}))"
        ).fetchall()]
        _check_columns(mart_columns, mart)
        query = _public_query(mart, settings.small_count_threshold)
        output_columns = [row[0] for row in connection.execute(f"describe {query}").fetchall()]
        if tuple(output_columns) != PUBLIC_COLUMNS or person_level_columns(output_columns):
            raise PublicExportError(f"the public file's columns {output_columns} are not the reviewed list")
        connection.execute(f"copy ({query}) to {_quote(staged)} (format csv, header true, delimiter ',')")
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    finally:
        connection.close()
    os.replace(staged, final)
    return [final]
