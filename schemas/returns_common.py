"""Shared rules of the aggregate returns (DSG finance figures, NEET counts, school census
headcounts): figures about groups, never person-level rows, so nothing is pseudonymised."""

from __future__ import annotations

import re

import pandas as pd
import pandera.pandas as pa

# Columns the loader adds to every row of a return: the file it came from and its row number there.
SOURCE_FILE = "source_file"
SOURCE_ROW_NUMBER = "source_row_number"


def _year_pair_column(separator: str, example: str, kind: str) -> pa.Column:
    """A year written as its start year and the next year's last two digits: 2023-24 (financial)
    or 2022/23 (academic); 2023-25 or 2022/2023 fail."""
    pattern = re.compile(rf"(\d{{4}}){re.escape(separator)}(\d{{2}})")

    def is_year(value: object) -> bool:
        match = pattern.fullmatch(str(value))
        return bool(match) and (int(match.group(1)) + 1) % 100 == int(match.group(2))

    rule = f"{kind} like {example}"
    return pa.Column(
        str,
        checks=pa.Check(lambda values: values.map(is_year), element_wise=False, name=rule, error=rule),
        nullable=False,
        coerce=True,
    )


def financial_year_column() -> pa.Column:
    return _year_pair_column("-", "2023-24", "a financial year")


def amount_column(*, required: bool, positive: bool = False) -> pa.Column:
    """An amount in GBP thousands, read as a number (the loader casts the text first)."""
    checks = [pa.Check.gt(0, name="greater than 0", error="greater than 0")] if positive else []
    return pa.Column(float, checks=checks, nullable=not required, coerce=True)


def source_columns() -> dict[str, pa.Column]:
    return {
        SOURCE_FILE: pa.Column(str, nullable=False, coerce=True),
        SOURCE_ROW_NUMBER: pa.Column("Int64", nullable=False, coerce=True),
    }


def empty_frame(schema: pa.DataFrameSchema) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype="object") for name in schema.columns})


def academic_year_column() -> pa.Column:
    return _year_pair_column("/", "2022/23", "an academic year")


def month_column() -> pa.Column:
    """A calendar month written 2023-09."""
    return pa.Column(
        str,
        checks=pa.Check.str_matches(r"^(19|20)\d{2}-(0[1-9]|1[0-2])$", name="a month like 2023-09", error="a month like 2023-09"),
        nullable=False,
        coerce=True,
    )


def count_column() -> pa.Column:
    """A count of people: a whole number, 0 or more (the loader casts the text first)."""
    whole = pa.Check(
        lambda values: values.isna() | (values == values.round()),
        name="a whole number", error="a whole number",
    )
    return pa.Column(float, checks=[pa.Check.ge(0, name="0 or more", error="0 or more"), whole],
                     nullable=False, coerce=True)
