"""What every extract schema is made of: typed columns, row rules, and the period rules.

An extract is validated in two steps (see pipelines/ingest/extracts.py):
1. parse: every cell is read as text and cast by DuckDB to the column's kind; a cell that
   does not cast is a type failure (pandera cannot run frame-wide rules on a column whose
   coercion failed, so casting happens first, set-wise);
2. rules: the typed frame is validated by `ExtractSpec.schema` with pandera, lazily, so
   every failing row and rule is reported at once.
The same `schema` is the blocking Dagster asset check on the loaded warehouse table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd
import pandera.pandas as pa

ColumnKind = Literal["id", "date", "code", "integer", "text"]

# Columns the loader adds to every extract row: where it came from and its quarter.
SOURCE_PERIOD = "source_period"
PERIOD_START = "period_start"
PERIOD_END = "period_end"


@dataclass(frozen=True)
class RowRule:
    """A rule over several columns of one row; `column` is the one blamed in quarantine and
    `reads` the other columns it looks at. When a cell the rule reads is already reported in
    that row (blank but required, or not a date), the rule's own failure there is only an
    echo of it and is not filed again (pipelines/ingest/extracts.py)."""

    column: str
    name: str
    holds: Callable[[pd.DataFrame], pd.Series]
    reads: tuple[str, ...] = ()

    @property
    def inputs(self) -> tuple[str, ...]:
        return (self.column, *self.reads)

    def as_check(self) -> pa.Check:
        return pa.Check(self.holds, name=self.check_name, error=self.check_name)

    @property
    def check_name(self) -> str:
        """What the quarantine table shows: the rule, spelled with its column."""
        return f"{self.column} {self.name}"


@dataclass(frozen=True)
class ExtractSpec:
    name: str
    description: str
    kinds: dict[str, ColumnKind]
    columns: dict[str, pa.Column]
    key: str
    row_rules: tuple[RowRule, ...]
    dates_must_not_follow_period_end: tuple[str, ...]
    id_columns: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "id_columns", tuple(c for c, kind in self.kinds.items() if kind == "id")
        )

    @property
    def column_names(self) -> list[str]:
        return list(self.kinds)

    @property
    def schema(self) -> pa.DataFrameSchema:
        """The typed rules: one row per case per quarterly file, every rule lazily checked."""
        period_columns = {
            SOURCE_PERIOD: pa.Column(str, nullable=False, coerce=True),
            PERIOD_START: pa.Column(pa.DateTime, nullable=False, coerce=True),
            PERIOD_END: pa.Column(pa.DateTime, nullable=False, coerce=True),
        }
        return pa.DataFrameSchema(
            {**self.columns, **period_columns},
            checks=[rule.as_check() for rule in self.all_row_rules],
            unique=[SOURCE_PERIOD, self.key],
            name=self.name,
            strict=False,
        )

    @property
    def all_row_rules(self) -> tuple[RowRule, ...]:
        return self.row_rules + tuple(
            RowRule(
                column,
                "not after the file's quarter end",
                lambda frame, column=column: frame[column].isna()
                | (frame[column] <= frame[PERIOD_END]),
            )
            for column in self.dates_must_not_follow_period_end
        )

    def rule_inputs(self, check_name: str) -> tuple[str, ...]:
        """The columns a row rule reads (none for a column check)."""
        for rule in self.all_row_rules:
            if rule.check_name == check_name:
                return rule.inputs
        return ()

    def blamed_column(self, check_name: str, reported_column: str | None) -> str | None:
        """The column a failure is filed under in the quarantine table.

        pandera reports a frame-wide rule once per column of the failing row, and a
        duplicate key once per key column; both are filed under the one column at fault.
        """
        for rule in self.all_row_rules:
            if rule.check_name == check_name:
                return rule.column
        if check_name == "multiple_fields_uniqueness":
            return self.key
        return reported_column


# Text columns coerce too: an empty table read back from DuckDB has `object` columns.
def id_column() -> pa.Column:
    return pa.Column(str, nullable=False, checks=pa.Check.str_length(min_value=1), coerce=True)


def date_column(*, required: bool) -> pa.Column:
    return pa.Column(pa.DateTime, nullable=not required, coerce=True)


def code_column(allowed: list[str], *, required: bool) -> pa.Column:
    return pa.Column(str, checks=pa.Check.isin(allowed), nullable=not required, coerce=True)


def integer_column(low: int, high: int) -> pa.Column:
    return pa.Column("Int64", checks=pa.Check.in_range(low, high), nullable=False, coerce=True)


def not_before(later: str, earlier: str) -> RowRule:
    """`later` may be empty, but when both dates are given it must not precede `earlier`."""
    return RowRule(
        later,
        f"not before {earlier}",
        lambda frame: frame[later].isna() | frame[earlier].isna() | (frame[later] >= frame[earlier]),
        reads=(earlier,),
    )


def given_together(code: str, day: str) -> RowRule:
    """A code and its date are recorded together or not at all."""
    return RowRule(
        day,
        f"present exactly when {code} is present",
        lambda frame: frame[code].isna() == frame[day].isna(),
        reads=(code,),
    )


def open_during_period(
    closed_on: Callable[[pd.DataFrame], pd.Series], column: str, reads: tuple[str, ...] = ()
) -> RowRule:
    """A quarterly file holds cases open at some time in the quarter: not closed before it.
    `reads`: the columns besides `column` that `closed_on` looks at."""
    return RowRule(
        column,
        "case closed before the file's quarter started",
        lambda frame: closed_on(frame).isna() | (closed_on(frame) >= frame[PERIOD_START]),
        reads=reads,
    )
