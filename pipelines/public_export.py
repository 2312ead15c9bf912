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

Secondary suppression: no suppressed count can be worked out from the others in the file.
A longer period holding a suppressed one of the same KPI (the financial or calendar year of a
suppressed quarter, the academic year of a suppressed month) is suppressed; so is a total
whose breakdown is suppressed (advice_6wk for a suppressed advice type, perm_excl_count for a
suppressed phase or SEN status: kpi_id = total + '_<group>'), and the 20-week KPI excluding
exceptions where the exceptions (the difference of the two 20-week KPIs' counts) are a small
count. The rules repeat until none marks a new row. A secondary-suppressed row shows `c` for
its value and for its non-zero counts. Not handled: a small complement within one row
(denominator minus numerator), as DfE does not suppress those either.

Text that came from files (authority and region names, KPI names, reasons) is written
spreadsheet-safe: a cell starting with = + - @ or a tab or carriage return gets a leading
apostrophe, so a spreadsheet shows it instead of running it as a formula.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from pipelines.releases import PublishedSet
from pipelines.settings import Settings
from pipelines.warehouse import sql_string

PUBLIC_FILE_NAME = "kpi_comparison_public.csv"
SUPPRESSED = "c"  # DfE's symbol: confidential

# What the public file holds, in this order. Every other mart column is left out.
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
# Mart columns deliberately not published. A column added to the mart later stays out of the
# public file until it is reviewed and added to PUBLIC_COLUMNS.
INTERNAL_COLUMNS = ("is_small_count",)

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


def _flag_primary(connection: duckdb.DuckDBPyConnection, mart: Path, threshold: int) -> None:
    """public_cells: the mart's rows with the primary suppression flags (small counts)."""

    def small(column: str) -> str:
        return f"(value_source = 'local' and {column} >= 1 and {column} < {threshold})"

    connection.execute(f"""
        create or replace temp table public_cells as
        select
            *,
            coalesce({small("numerator")}, false) as numerator_suppressed,
            coalesce({small("denominator")}, false) as denominator_suppressed,
            coalesce({small("numerator")} or {small("denominator")}, false) as row_suppressed
        from read_parquet({sql_string(mart)})
    """)


# Secondary suppression: a row whose counts would let a suppressed count be worked out by
# adding or subtracting published counts is suppressed too. Each rule marks more rows; they
# run until none marks anything new (a handful of passes). Local rows only.
_SECONDARY_RULES = {
    # A longer period holding a suppressed shorter one of the same KPI (a financial or calendar
    # year holding a quarter, an academic year holding a month): year minus the other parts.
    "period holding a suppressed period": """
        exists (
            select 1 from public_cells as part
            where part.row_suppressed and part.value_source = 'local'
              and part.kpi_id = cells.kpi_id and part.la_code is not distinct from cells.la_code
              and cast(part.period_start as date) >= cast(cells.period_start as date)
              and cast(part.period_end as date) <= cast(cells.period_end as date)
              and date_diff('day', cast(part.period_start as date), cast(part.period_end as date))
                < date_diff('day', cast(cells.period_start as date), cast(cells.period_end as date))
        )""",
    # A total whose breakdown (kpi_id = the total's kpi_id + '_<group>': advice types, school
    # phases, SEN status) is suppressed for the same period: total minus the other groups.
    "total of a suppressed breakdown": """
        exists (
            select 1 from public_cells as breakdown
            where breakdown.row_suppressed and breakdown.value_source = 'local'
              and starts_with(breakdown.kpi_id, cells.kpi_id || '_')
              and breakdown.la_code is not distinct from cells.la_code
              and breakdown.period_type = cells.period_type and breakdown.period = cells.period
        )""",
    # The 20-week KPI excluding exceptions: its counts differ from the KPI including them by
    # the exceptions, so a small number of exceptions is disclosed unless one row is withheld.
    "20-week KPI whose exceptions are a small count": """
        cells.kpi_id = 'ehcp_20wk_excl_exc' and exists (
            select 1 from public_cells as including
            where including.kpi_id = 'ehcp_20wk_incl_exc' and including.value_source = 'local'
              and including.la_code is not distinct from cells.la_code
              and including.period_type = cells.period_type and including.period = cells.period
              and (including.row_suppressed
                   or including.denominator - cells.denominator between 1 and {threshold} - 1
                   or including.numerator - cells.numerator between 1 and {threshold} - 1)
        )""",
}


def _apply_secondary_suppression(connection: duckdb.DuckDBPyConnection, threshold: int) -> int:
    """Mark rows until no suppressed count can be derived; returns the rows marked."""
    marked = 0
    while True:
        newly = 0
        for condition in _SECONDARY_RULES.values():
            newly += len(
                connection.execute(f"""
                update public_cells as cells
                set row_suppressed = true,
                    numerator_suppressed = coalesce(numerator <> 0, false),
                    denominator_suppressed = coalesce(denominator <> 0, false)
                where cells.value_source = 'local' and not cells.row_suppressed
                  and {condition.format(threshold=threshold)}
                returning 1
            """).fetchall()
            )
        marked += newly
        if not newly:
            return marked


# A cell a spreadsheet would run as a formula: = + - @ or a tab or carriage return first.
_FORMULA_START = r"^[=+\-@\t\r]"


def _spreadsheet_safe(column: str) -> str:
    """Text from files (an authority name, a KPI name) as a spreadsheet shows it, not runs it:
    a leading formula character gets an apostrophe before it (OWASP's CSV injection advice)."""
    return (
        f"case when regexp_matches(cast({column} as varchar), '{_FORMULA_START}') "
        f"then chr(39) || {column} else {column} end"
    )


def _public_query() -> str:
    text = {
        column: _spreadsheet_safe(column)
        for column in (
            "la_code",
            "la_new_code",
            "la_name",
            "region_code",
            "region_name",
            "kpi_id",
            "kpi_name",
            "value_missing_reason",
            "sn_model",
            "sn_included",
            "benchmark_release",
            "value_source",
        )
    }
    return f"""
with with_previous as (
    select
        current_row.*,
        -- True when the preceding period's row is suppressed, or missing although the mart
        -- carries a previous value for it (withheld rather than guessed).
        current_row.value_source = 'local'
            and current_row.previous_value is not null
            and coalesce(previous_row.row_suppressed, true) as previous_suppressed
    from public_cells as current_row
    left join public_cells as previous_row
        on previous_row.la_code is not distinct from current_row.la_code
        and previous_row.kpi_id = current_row.kpi_id
        and previous_row.period_type = current_row.period_type
        and previous_row.value_source = current_row.value_source
        and cast(previous_row.period_end as date) + 1 = cast(current_row.period_start as date)
)
select
    {text["la_code"]} as la_code, {text["la_new_code"]} as la_new_code, {text["la_name"]} as la_name,
    {text["region_code"]} as region_code, {text["region_name"]} as region_name,
    {text["kpi_id"]} as kpi_id, {text["kpi_name"]} as kpi_name, polarity, unit,
    period_type, period,
    cast(period_start as date) as period_start,
    cast(period_end as date) as period_end,
    {text["value_source"]} as value_source,
    {_count("numerator")} as numerator,
    {_count("denominator")} as denominator,
    case when row_suppressed then '{SUPPRESSED}' else {_rounded("value")} end as value,
    {text["value_missing_reason"]} as value_missing_reason,
    {_rounded("england_value")} as england_value,
    {_rounded("region_value")} as region_value,
    {text["sn_model"]} as sn_model,
    {_rounded("sn_mean")} as sn_mean,
    sn_count,
    {text["sn_included"]} as sn_included,
    case when row_suppressed and national_rank is not null then '{SUPPRESSED}'
         else cast(national_rank as varchar) end as national_rank,
    national_count,
    case when row_suppressed and quartile_band is not null then '{SUPPRESSED}'
         else quartile_band end as quartile_band,
    case when previous_suppressed then '{SUPPRESSED}' else {_rounded("previous_value")} end as previous_value,
    case when change is not null and (row_suppressed or previous_suppressed) then '{SUPPRESSED}'
         else {_rounded("change")} end as change,
    {text["benchmark_release"]} as benchmark_release
from with_previous
order by kpi_id, period_type, period_start, value_source
"""


def _check_columns(mart_columns: list[str], mart: Path) -> None:
    person_level = person_level_columns(mart_columns)
    if person_level:
        raise PublicExportError(f"{mart} has person-level columns {person_level}: the public file is not written")
    missing = [column for column in PUBLIC_COLUMNS if column not in mart_columns]
    if missing:
        raise PublicExportError(f"{mart} lacks the columns {missing}: the public file is not written")


def write_public_export(settings: Settings, into: PublishedSet) -> list[Path]:
    """Write published/kpi_comparison_public.csv of the set `into` from its kpi_comparison
    mart, suppressed (a set is made current only when complete: pipelines/releases.py).

    Written under a temporary name and renamed, so a failure leaves no half-written file.
    Returns the files written.
    """
    mart = into.marts_dir / "kpi_comparison.parquet"
    if not mart.is_file():
        raise PublicExportError(f"{mart} does not exist: publish the marts first")
    final = public_export_path(into)
    final.parent.mkdir(parents=True, exist_ok=True)
    staged = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    connection = duckdb.connect()
    try:
        mart_columns = [
            row[0]
            for row in connection.execute(
                f"select column_name from (describe select * from read_parquet({sql_string(mart)}))"
            ).fetchall()
        ]
        _check_columns(mart_columns, mart)
        _flag_primary(connection, mart, settings.small_count_threshold)
        _apply_secondary_suppression(connection, settings.small_count_threshold)
        query = _public_query()
        output_columns = [row[0] for row in connection.execute(f"describe {query}").fetchall()]
        if tuple(output_columns) != PUBLIC_COLUMNS or person_level_columns(output_columns):
            raise PublicExportError(f"the public file's columns {output_columns} are not the reviewed list")
        connection.execute(f"copy ({query}) to {sql_string(staged)} (format csv, header true, delimiter ',')")
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    finally:
        connection.close()
    os.replace(staged, final)
    return [final]
