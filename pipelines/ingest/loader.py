"""The one loader for case extracts and aggregate returns: cast, check and quarantine in DuckDB.

Input: `incoming_rows`, a temporary table of staged text (pipelines/ingest/files.py) with
`row_ordinal` (unique over the rows being validated together), `source_row_number`, the
provenance columns of the contract (`load_id`, and `source_period`, `period_start`,
`period_end` for a case extract or `source_file` for a return) and one text column per
documented column, under its documented name.

`validate(connection, contract, key)` then builds, set-wise and without a row of Python:
- `incoming_typed`: every row cast to its kinds (identifiers replaced by their keyed hash);
  a cell that does not cast is NULL there;
- `incoming_failures`: one row per failing cell and rule: type failures, required cells left
  empty, column checks (codes, ranges, patterns), a duplicated key, and the row rules; a
  failure that only echoes a cell already reported in that row is not filed (a rule reading
  an empty or uncastable cell, the "not_nullable" of an uncastable one);
- the rows to store are those of `incoming_typed` with no failure.
Every rule comes from the contract (schemas/contract.py), as SQL. pandera then validates the
stored tables with the same rule texts, in the blocking asset checks (pipelines/checks.py):
once per run and table rather than once per file, which costs seconds per file.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.ingest.files import STAGED_TABLE
from pipelines.ingest.pseudonymise import hmac_pads, hmac_sql
from schemas.contract import (
    DATE_RANGE_RULE,
    EARLIEST_DATE,
    LATEST_DATE,
    NOT_NULLABLE,
    SERIAL_DATE_RULE,
    TYPE_RULES,
    Column,
    Contract,
)
from schemas.contract import (
    SOURCE_ROW_NUMBER as ROW_NUMBER,
)

INCOMING = "incoming_rows"
TYPED = "incoming_typed"
FAILURES = "incoming_failures"
ROW_ORDINAL = "row_ordinal"


def _text(column: str) -> str:
    return f"nullif(incoming.{column}, '')"


def _parsed_date(text: str) -> str:
    """A date written YYYY-MM-DD, DD/MM/YYYY, or by Excel as YYYY-MM-DD 00:00:00; a four-digit
    year is required (04/05/23 is not a date here: 23 would be read as the year 23)."""
    return (
        f"cast(case when regexp_full_match({text}, '\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}') then try_strptime({text}, '%Y-%m-%d') "
        f"when regexp_full_match({text}, '\\d{{1,2}}/\\d{{1,2}}/\\d{{4}}') then try_strptime({text}, '%d/%m/%Y') "
        f"when regexp_full_match({text}, '\\d{{4}}-\\d{{1,2}}-\\d{{1,2}} 00:00:00') "
        f"then try_strptime({text}, '%Y-%m-%d %H:%M:%S') end as date)"
    )


def _in_date_range(parsed: str) -> str:
    return f"{parsed} between date '{EARLIEST_DATE}' and date '{LATEST_DATE}'"


def _number(text: str) -> str:
    """A number, thousands separators allowed; NaN and infinity are not numbers."""
    value = f"try_cast(replace({text}, ',', '') as double)"
    return f"case when isfinite({value}) then {value} end"


def cast_sql(column: Column) -> str:
    """SQL casting one staged text column to its kind: '' is NULL; what does not cast is NULL."""
    text = _text(column.name)
    if column.kind == "id":
        return hmac_sql(text)
    if column.kind == "date":
        parsed = _parsed_date(text)
        return f"case when {_in_date_range(parsed)} then {parsed} end"
    if column.kind == "integer":
        # Excel writes whole numbers as '12.0'; a real fraction, or beyond 32 bits, is not one.
        number = f"try_cast({text} as decimal(38, 6))"
        return f"case when {number} = trunc({number}) then try_cast({number} as integer) end"
    if column.kind in ("count", "amount"):
        return _number(text)
    return text


def _type_rule_sql(column: Column) -> str:
    """The quarantine's rule for a cell of this column that did not cast."""
    if column.kind == "date":
        text = _text(column.name)
        return (
            rf"case when regexp_full_match({text}, '\d{{5}}(\.0+)?') then '{SERIAL_DATE_RULE}' "
            f"when {_parsed_date(text)} is null then '{TYPE_RULES['date']}' else '{DATE_RANGE_RULE}' end"
        )
    return f"'{TYPE_RULES[column.kind]}'"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _failure_selects(contract: Contract) -> list[str]:
    """One SELECT per kind of failure, each giving (row_ordinal, column_name, check_name, inputs)."""
    on_both = f"from {INCOMING} as incoming join {TYPED} as typed using ({ROW_ORDINAL})"
    selects = []
    for column in contract.fields:
        name = column.name
        if column.kind in TYPE_RULES:
            selects.append(
                f"select {ROW_ORDINAL}, {_literal(name)}, {_type_rule_sql(column)}, [] {on_both} "
                f"where {_text(name)} is not null and typed.{name} is null"
            )
        if column.required:
            uncastable = f" and {_text(name)} is null" if column.kind in TYPE_RULES else ""
            selects.append(
                f"select {ROW_ORDINAL}, {_literal(name)}, {_literal(NOT_NULLABLE)}, [] {on_both} "
                f"where typed.{name} is null{uncastable}"
            )
        for check in column.checks:
            selects.append(
                f"select {ROW_ORDINAL}, {_literal(name)}, {_literal(check.name)}, [] from {TYPED} "
                f"where {name} is not null and not coalesce({check.sql(name)}, false)"
            )
    key = ", ".join(contract.key)
    selects.append(
        f"select {ROW_ORDINAL}, {_literal(contract.uniqueness_column)}, {_literal(contract.uniqueness_rule)}, [] "
        f"from {TYPED} where {' and '.join(f'{c} is not null' for c in contract.key)} "
        f"qualify count(*) over (partition by {key}) > 1"
    )
    for rule in contract.all_row_rules:
        inputs = "[" + ", ".join(_literal(c) for c in rule.inputs) + "]"
        selects.append(
            f"select {ROW_ORDINAL}, {_literal(rule.column)}, {_literal(rule.check_name)}, {inputs} "
            f"from {TYPED} where not coalesce({rule.holds}, false)"
        )
    return selects


def _original_value_sql(contract: Contract) -> str:
    """The failing cell as the file had it; identifiers only ever as their pseudonyms."""
    cases = [
        f"when {_literal(column.name)} then "
        + (f"typed.{column.name}" if column.kind == "id" else f"incoming.{column.name}")
        for column in contract.fields
    ]
    if len(contract.key) > 1:
        values = ", ".join(f"incoming.{c}" for c in contract.key)
        cases.append(f"when {_literal(contract.uniqueness_column)} then concat_ws(', ', {values})")
    return f"case failures.column_name {' '.join(cases)} end"


@dataclass(frozen=True)
class Validated:
    rows_in: int
    rows_good: int
    rows_quarantined: int


def validate(connection: duckdb.DuckDBPyConnection, contract: Contract, key: str | None) -> Validated:
    """Build incoming_typed and incoming_failures from incoming_rows (see the module docstring).
    `key`: the pseudonymisation key (None for a return: it has no identifiers)."""
    provenance = [name for name, _ in contract.provenance_columns]
    casts = ", ".join(f"{cast_sql(column)} as {column.name}" for column in contract.fields)
    parameters = {}
    if contract.id_columns:
        inner, outer = hmac_pads(key or "")
        parameters = {"inner_pad": inner, "outer_pad": outer}
    connection.execute(
        f"create or replace temp table {TYPED} as select {ROW_ORDINAL}, "
        f"{', '.join(f'incoming.{name}' for name in provenance)}, {casts} from {INCOMING} as incoming",
        parameters,
    )
    raw_failures = " union all ".join(_failure_selects(contract))
    connection.execute(f"""
        create or replace temp table {FAILURES} as
        with found ({ROW_ORDINAL}, column_name, check_name, inputs) as ({raw_failures}),
        reported as (
            select {ROW_ORDINAL}, column_name from found
            where check_name = {_literal(NOT_NULLABLE)} or starts_with(check_name, 'type: ')
        ),
        kept as (
            select distinct found.{ROW_ORDINAL}, found.column_name, found.check_name from found
            where len(found.inputs) = 0 or not exists (
                select 1 from reported
                where reported.{ROW_ORDINAL} = found.{ROW_ORDINAL} and list_contains(found.inputs, reported.column_name)
            )
        )
        select failures.{ROW_ORDINAL}, incoming.{ROW_NUMBER}, failures.column_name, failures.check_name,
               {_original_value_sql(contract)} as original_value
        from kept as failures
        join {INCOMING} as incoming using ({ROW_ORDINAL})
        join {TYPED} as typed using ({ROW_ORDINAL})
    """)
    rows_in, rows_quarantined = connection.execute(
        f"select (select count(*) from {INCOMING}), (select count(distinct {ROW_ORDINAL}) from {FAILURES})"
    ).fetchone()
    return Validated(rows_in, rows_in - rows_quarantined, rows_quarantined)


def good_rows_sql(contract: Contract) -> str:
    """The rows of incoming_typed with no failure, in the stored table's columns."""
    columns = ", ".join([name for name, _ in contract.provenance_columns] + contract.column_names)
    return (
        f"select {columns} from {TYPED} where {ROW_ORDINAL} not in (select {ROW_ORDINAL} from {FAILURES}) "
        f"order by {ROW_ORDINAL}"
    )


def drop_work_tables(connection: duckdb.DuckDBPyConnection) -> None:
    for table in (STAGED_TABLE, INCOMING, TYPED, FAILURES):
        connection.execute(f"drop table if exists {table}")
