"""One declarative contract per input: the single home of its columns and rules.

A contract says, for one case extract or one layout of an aggregate return: its columns (kind,
required, code list or range, what it means, which KPIs use it), its key, its row rules, the
period a file belongs to and how a new file replaces earlier loads. Everything else is made
from it, never written again by hand:

- the loader's casting, type failures and rule failures (SQL run set-wise in DuckDB,
  pipelines/ingest/loader.py),
- the pandera schema that validates the loaded rows and the stored tables (schemas/validation.py),
- the warehouse table (`table_ddl`), the dbt source and its tests, the column tables in
  docs/extracts.md and the sample generators' headers (`sendkpi docs` regenerates the
  generated files; tests/test_contracts.py fails when they drift).

Row rules are SQL boolean expressions over the typed columns (and `period_start`/`period_end`
for a case extract): a row breaks a rule unless the expression is TRUE, so every rule says
explicitly what an empty cell means. DuckDB evaluates them in the loader, and the pandera
checks evaluate the very same text (schemas/validation.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# What a column holds. Case extracts: id (pseudonymised on the way in), text, code, date,
# integer. Aggregate returns: count (whole number >= 0), amount (GBP thousands), and the
# period spellings month, financial_year, academic_year (kept as text, checked by pattern).
ColumnKind = Literal[
    "id", "text", "code", "date", "integer", "count", "amount", "month", "financial_year", "academic_year"
]

# Columns the loader adds to every case-extract row: its quarter, and where it came from.
SOURCE_PERIOD = "source_period"
PERIOD_START = "period_start"
PERIOD_END = "period_end"
SOURCE_ROW_NUMBER = "source_row_number"
SOURCE_FILE = "source_file"

# The quarantine's names for a cell that does not cast to its kind.
TYPE_RULES: dict[str, str] = {
    "date": "type: a date (YYYY-MM-DD or DD/MM/YYYY)",
    "integer": "type: a whole number",
    "count": "type: a whole number",
    "amount": "type: a number (GBP thousands)",
}
# A date that parses but cannot be a real one in these records (two-digit years read as the
# year 23, 9999-12-31 as "no end"): rejected rather than guessed.
EARLIEST_DATE = "1900-01-01"
LATEST_DATE = "2099-12-31"
DATE_RANGE_RULE = f"type: a date from {EARLIEST_DATE[:4]} to {LATEST_DATE[:4]}"
# A five-digit number where a date belongs is Excel's serial day number (45110 = 2023-07-03),
# written when a date column is formatted as a number: said so, not guessed.
SERIAL_DATE_RULE = "type: a date (YYYY-MM-DD or DD/MM/YYYY), not an Excel serial number: format the column as dates"
NOT_NULLABLE = "not_nullable"

_SQL_TYPES: dict[str, str] = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "code": "VARCHAR",
    "date": "DATE",
    "integer": "INTEGER",
    "count": "DOUBLE",
    "amount": "DOUBLE",
    "month": "VARCHAR",
    "financial_year": "VARCHAR",
    "academic_year": "VARCHAR",
}
_DOC_TYPES = {
    "id": "text",
    "text": "text",
    "code": "code",
    "date": "date",
    "integer": "whole number",
    "count": "whole number",
    "amount": "number (GBP thousands)",
    "month": "`YYYY-MM`",
    "financial_year": "`YYYY-YY`",
    "academic_year": "`YYYY/YY`",
}


@dataclass(frozen=True)
class ColumnCheck:
    """A rule on one cell, checked only when the cell has a value: `holds` is SQL over the
    column (written `{c}`, replaced by its name); `name` is what the quarantine shows."""

    name: str
    holds: str

    def sql(self, column: str) -> str:
        return self.holds.replace("{c}", column)


def _quoted_list(values: tuple[str, ...]) -> str:
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)


def isin(values: tuple[str, ...]) -> ColumnCheck:
    # Named as pandera names its built-in check, which the quarantine has always shown.
    return ColumnCheck(f"isin({list(values)})", f"{{c}} in ({_quoted_list(values)})")


def in_range(low: int, high: int) -> ColumnCheck:
    return ColumnCheck(f"in_range({low}, {high})", f"{{c}} between {low} and {high}")


def _year_pair(separator: str, example: str, kind: str) -> ColumnCheck:
    """A year written as its start year and the next year's last two digits (2023-24 or
    2022/23); 2023-25 or 2022/2023 fail."""
    pattern = rf"^\d{{4}}{separator}\d{{2}}$"
    return ColumnCheck(
        f"{kind} like {example}",
        f"(regexp_full_match({{c}}, '{pattern}') and "
        f"(try_cast(left({{c}}, 4) as integer) + 1) % 100 = try_cast(right({{c}}, 2) as integer))",
    )


_KIND_CHECKS: dict[str, tuple[ColumnCheck, ...]] = {
    "count": (ColumnCheck("0 or more", "{c} >= 0"), ColumnCheck("a whole number", "{c} = round({c})")),
    "month": (ColumnCheck("a month like 2023-09", r"regexp_full_match({c}, '^(19|20)\d{2}-(0[1-9]|1[0-2])$')"),),
    "financial_year": (_year_pair("-", "2023-24", "a financial year"),),
    "academic_year": (_year_pair("/", "2022/23", "an academic year"),),
}


@dataclass(frozen=True)
class Column:
    """One documented column. `codes`: the allowed values of a code; `low`/`high`: the range of
    an integer; `positive`: an amount must be above 0. The doc_* texts fill the columns of its
    table in docs/extracts.md where the rule alone would say too little."""

    name: str
    kind: ColumnKind
    required: bool
    meaning: str
    codes: tuple[str, ...] = ()
    low: int | None = None
    high: int | None = None
    positive: bool = False
    used_by: str = ""
    doc_required: str = ""
    doc_allowed: str = ""

    @property
    def sql_type(self) -> str:
        return _SQL_TYPES[self.kind]

    @property
    def checks(self) -> tuple[ColumnCheck, ...]:
        checks = list(_KIND_CHECKS.get(self.kind, ()))
        if self.codes:
            checks.append(isin(self.codes))
        if self.low is not None and self.high is not None:
            checks.append(in_range(self.low, self.high))
        if self.positive:
            checks.append(ColumnCheck("greater than 0", "{c} > 0"))
        return tuple(checks)

    @property
    def doc_type(self) -> str:
        return _DOC_TYPES[self.kind]


@dataclass(frozen=True)
class RowRule:
    """A rule over several columns of one row. `column` is the one blamed in the quarantine,
    `reads` the other columns it looks at: when one of them is already reported in that row
    (blank but required, or not castable) the rule's failure would only echo it and is not
    filed. `holds` is SQL that must be TRUE (an empty cell is handled in the expression)."""

    column: str
    check_name: str
    holds: str
    reads: tuple[str, ...] = ()

    @property
    def inputs(self) -> tuple[str, ...]:
        return (self.column, *self.reads)


# --- the period a file belongs to, and how a new file replaces earlier loads ----------------

FileReplacement = Literal["quarter", "folder"]


@dataclass(frozen=True)
class Contract:
    """One input: a quarterly case extract (`period` = "financial_quarter": the quarter is in
    the file name, one current load per quarter, a new file for a quarter supersedes the
    current one) or one layout of an aggregate return (`period` = None: rows carry their own
    period, the whole folder is reloaded every run and the key is unique across it)."""

    name: str
    folder: str
    description: str
    fields: tuple[Column, ...]
    key: tuple[str, ...]
    row_rules: tuple[RowRule, ...] = ()
    dates_must_not_follow_period_end: tuple[str, ...] = ()
    period: Literal["financial_quarter"] | None = "financial_quarter"
    notes: str = ""  # extra docs text below the column table

    def __post_init__(self) -> None:
        names = self.column_names
        unknown = [
            c
            for c in (*self.key, *(c for r in self.row_rules for c in r.inputs), *self.dates_must_not_follow_period_end)
            if c not in names
        ]
        if unknown:
            raise ValueError(f"contract {self.name}: rules name unknown columns {unknown}")

    # --- what the other parts read ---------------------------------------------------------

    @property
    def is_case_extract(self) -> bool:
        return self.period == "financial_quarter"

    @property
    def replaces(self) -> FileReplacement:
        return "quarter" if self.is_case_extract else "folder"

    @property
    def column_names(self) -> list[str]:
        """The documented columns' names, in the order of the documented header."""
        return [column.name for column in self.fields]

    @property
    def columns(self) -> list[str]:
        return self.column_names

    def column(self, name: str) -> Column:
        return next(column for column in self.fields if column.name == name)

    @property
    def kinds(self) -> dict[str, ColumnKind]:
        return {column.name: column.kind for column in self.fields}

    @property
    def id_columns(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.fields if column.kind == "id")

    @property
    def uniqueness_rule(self) -> str:
        return "unique within the file" if self.is_case_extract else f"unique across the {self.folder} folder"

    @property
    def uniqueness_column(self) -> str:
        """Where a duplicate key is filed: the key column (several: joined by commas)."""
        return ",".join(self.key)

    @property
    def all_row_rules(self) -> tuple[RowRule, ...]:
        return self.row_rules + tuple(
            RowRule(
                column, f"{column} not after the file's quarter end", f"{column} is null or {column} <= {PERIOD_END}"
            )
            for column in self.dates_must_not_follow_period_end
        )

    @property
    def provenance_columns(self) -> list[tuple[str, str]]:
        """The columns the loader adds in front of the documented ones."""
        if self.is_case_extract:
            return [
                ("load_id", "VARCHAR NOT NULL"),
                (SOURCE_PERIOD, "VARCHAR NOT NULL"),
                (PERIOD_START, "DATE NOT NULL"),
                (PERIOD_END, "DATE NOT NULL"),
                (SOURCE_ROW_NUMBER, "INTEGER NOT NULL"),
            ]
        return [
            ("load_id", "VARCHAR NOT NULL"),
            (SOURCE_FILE, "VARCHAR NOT NULL"),
            (SOURCE_ROW_NUMBER, "INTEGER NOT NULL"),
        ]

    def table_ddl(self, schema: str = "raw") -> str:
        """The warehouse table of this input's rows (every load kept: a case extract's
        current load is chosen through raw.load_log)."""
        columns = [*self.provenance_columns, *((c.name, c.sql_type) for c in self.fields)]
        body = ",\n    ".join(f"{name} {sql_type}" for name, sql_type in columns)
        return f"create table if not exists {schema}.{self.name} (\n    {body}\n)"


# --- row rule helpers shared by the extracts ---------------------------------------------------


def not_before(later: str, earlier: str) -> RowRule:
    """`later` may be empty, but when both dates are given it must not precede `earlier`."""
    return RowRule(
        later,
        f"{later} not before {earlier}",
        f"{later} is null or {earlier} is null or {later} >= {earlier}",
        reads=(earlier,),
    )


def given_together(code: str, day: str) -> RowRule:
    """A code and its date are recorded together or not at all."""
    return RowRule(
        day, f"{day} present exactly when {code} is present", f"({code} is null) = ({day} is null)", reads=(code,)
    )


def open_during_period(closed_on: str, column: str, reads: tuple[str, ...] = ()) -> RowRule:
    """A quarterly file holds cases open at some time in the quarter: not closed before it.
    `closed_on`: SQL for the day the case closed (NULL: open); `reads`: the columns besides
    `column` that it looks at."""
    return RowRule(
        column,
        f"{column} case closed before the file's quarter started",
        f"({closed_on}) is null or ({closed_on}) >= {PERIOD_START}",
        reads=reads,
    )


def rule(column: str, name: str, holds: str, reads: tuple[str, ...] = ()) -> RowRule:
    """A rule of an extract, shown in the quarantine as '<column> <name>'."""
    return RowRule(column, f"{column} {name}", holds, reads)


# --- columns shared by the extracts ------------------------------------------------------------


def id_column(
    name: str, meaning: str, used_by: str = "pseudonymised on the way in", *, doc_allowed: str = ""
) -> Column:
    return Column(name, "id", True, meaning, used_by=used_by, doc_allowed=doc_allowed)


def date_column(
    name: str, meaning: str, *, required: bool, used_by: str = "", doc_allowed: str = "", doc_required: str = ""
) -> Column:
    return Column(name, "date", required, meaning, used_by=used_by, doc_allowed=doc_allowed, doc_required=doc_required)


def code_column(
    name: str,
    codes: list[str],
    meaning: str,
    *,
    required: bool,
    used_by: str = "",
    doc_allowed: str = "",
    doc_required: str = "",
) -> Column:
    return Column(
        name,
        "code",
        required,
        meaning,
        codes=tuple(codes),
        used_by=used_by,
        doc_allowed=doc_allowed,
        doc_required=doc_required,
    )


@dataclass(frozen=True)
class ReturnFolder:
    """A folder of aggregate returns under data/raw/: one or more layouts (contracts),
    recognised by their exact header whatever the file names."""

    folder: str
    description: str
    layouts: tuple[Contract, ...] = field(default_factory=tuple)

    @property
    def tables(self) -> list[str]:
        return [layout.name for layout in self.layouts]
