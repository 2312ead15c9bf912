"""The pandera schema of a contract, for each backend pandera offers: pandas, polars, ibis.

Every check is the contract's own rule (schemas/contract.py): the column checks (codes,
ranges, patterns) and the row rules are SQL text. DuckDB evaluates each rule's text into a
verdict column of the rows being validated (`with_verdicts_sql`), and the pandera check of
that rule fails where its verdict is false. Types, required columns and the key's
uniqueness are pandera's own checks. So the loader's quarantine (the same SQL,
pipelines/ingest/loader.py) and pandera can never disagree about what a rule says: there is
one text of it.

`validate_query(connection, contract, query)` validates the rows a DuckDB query returns with
the backend chosen by measurement (docs/performance.md, "pandera backends"): the ibis backend,
which leaves the rows in DuckDB and so keeps memory bounded however many rows there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import duckdb
import pandas as pd

from schemas.contract import PERIOD_END, PERIOD_START, SOURCE_PERIOD, Contract

Backend = Literal["pandas", "polars", "ibis"]
CHOSEN_BACKEND: Backend = "ibis"
MAX_FAILURES_SHOWN = 20

_PANDAS_TYPES = {"date": "datetime64[ns]", "integer": "Int64", "count": float, "amount": float}
_POLARS_TYPES = {"date": "Date", "integer": "Int32", "count": "Float64", "amount": "Float64"}
_IBIS_TYPES = {"date": "date", "integer": "int32", "count": "float64", "amount": "float64"}


@dataclass(frozen=True)
class RuleVerdict:
    """A rule of the contract as one boolean column of the validated rows, computed by DuckDB
    from the rule's SQL; the pandera check named `check_name` fails where it is false."""

    column: str  # the verdict column, __rule_<n>
    check_name: str
    holds: str  # SQL


def rule_verdicts(contract: Contract) -> list[RuleVerdict]:
    """Every column check (applied when the cell has a value) and every row rule."""
    rules = [
        (f"{spec.name} {check.name}", f"{spec.name} is null or coalesce(({check.sql(spec.name)}), false)")
        for spec in contract.fields
        for check in spec.checks
    ]
    rules += [(rule.check_name, f"coalesce(({rule.holds}), false)") for rule in contract.all_row_rules]
    return [RuleVerdict(f"__rule_{number}", name, holds) for number, (name, holds) in enumerate(rules)]


def with_verdicts_sql(contract: Contract, query: str) -> str:
    """The rows of `query` with one verdict column per rule."""
    verdicts = ", ".join(f"{verdict.holds} as {verdict.column}" for verdict in rule_verdicts(contract))
    return f"select *, {verdicts} from ({query}) as rows"


def _period_types(contract: Contract, string, day) -> dict:
    if not contract.is_case_extract:
        return {}
    return {SOURCE_PERIOD: string, PERIOD_START: day, PERIOD_END: day}


def _pandas_schema(contract: Contract):
    import pandera.pandas as pa

    columns = {
        spec.name: pa.Column(_PANDAS_TYPES.get(spec.kind, str), nullable=not spec.required, coerce=True)
        for spec in contract.fields
    }
    columns.update(
        {
            name: pa.Column(dtype, nullable=False, coerce=True)
            for name, dtype in _period_types(contract, str, "datetime64[ns]").items()
        }
    )
    checks = [
        pa.Check(lambda frame, v=verdict.column: frame[v], name=verdict.check_name, error=verdict.check_name)
        for verdict in rule_verdicts(contract)
    ]
    return pa.DataFrameSchema(columns, checks=checks, unique=_unique(contract), name=contract.name, strict=False)


def _polars_schema(contract: Contract):
    import pandera.polars as pa
    import polars as pl

    columns = {
        spec.name: pa.Column(getattr(pl, _POLARS_TYPES.get(spec.kind, "Utf8")), nullable=not spec.required)
        for spec in contract.fields
    }
    columns.update(
        {name: pa.Column(dtype, nullable=False) for name, dtype in _period_types(contract, pl.Utf8, pl.Date).items()}
    )
    checks = [
        pa.Check(
            lambda data, v=verdict.column: data.lazyframe.select(pl.col(v)),
            name=verdict.check_name,
            error=verdict.check_name,
        )
        for verdict in rule_verdicts(contract)
    ]
    return pa.DataFrameSchema(columns, checks=checks, unique=_unique(contract), name=contract.name, strict=False)


def _ibis_schema(contract: Contract):
    import ibis
    import pandera.ibis as pa

    columns = {
        spec.name: pa.Column(ibis.dtype(_IBIS_TYPES.get(spec.kind, "string")), nullable=not spec.required)
        for spec in contract.fields
    }
    columns.update(
        {
            name: pa.Column(ibis.dtype(dtype), nullable=False)
            for name, dtype in _period_types(contract, "string", "date").items()
        }
    )
    checks = [
        pa.Check(lambda data, v=verdict.column: data.table[v], name=verdict.check_name, error=verdict.check_name)
        for verdict in rule_verdicts(contract)
    ]
    return pa.DataFrameSchema(columns, checks=checks, unique=_unique(contract), name=contract.name, strict=False)


def _unique(contract: Contract) -> list[str]:
    return [SOURCE_PERIOD, *contract.key] if contract.is_case_extract else list(contract.key)


def pandera_schema(contract: Contract, backend: Backend = CHOSEN_BACKEND):
    """The contract as a pandera DataFrameSchema for one backend."""
    return {"pandas": _pandas_schema, "polars": _polars_schema, "ibis": _ibis_schema}[backend](contract)


@dataclass(frozen=True)
class ValidationResult:
    rows_checked: int
    failures: int
    by_rule: pd.DataFrame  # column, check, failures (the first MAX_FAILURES_SHOWN)

    @property
    def passed(self) -> bool:
        return self.failures == 0


def validate_query(
    connection: duckdb.DuckDBPyConnection,
    contract: Contract,
    query: str,
    backend: Backend = CHOSEN_BACKEND,
    parameters: list | None = None,
) -> ValidationResult:
    """Validate the rows `query` returns with the contract's pandera schema."""
    import pandera.errors

    # Every verdict computed once, into a table pandera's checks then read (a view would
    # compute every rule again for each check).
    connection.execute(
        f"create or replace temp table validated_rows as {with_verdicts_sql(contract, query)}", parameters or []
    )
    try:
        [(rows,)] = connection.execute("select count(*) from validated_rows").fetchall()
        if rows == 0:  # nothing to check (and pandera's ibis backend fails not-null checks on no rows)
            return ValidationResult(0, 0, pd.DataFrame(columns=["column", "check", "failures"]))
        if backend == "ibis":
            import ibis

            subject = ibis.duckdb.from_connection(connection).table("validated_rows")
        elif backend == "polars":
            import polars as pl

            subject = pl.from_arrow(connection.sql("select * from validated_rows").to_arrow_table())
        else:
            subject = connection.execute("select * from validated_rows").df()
        try:
            pandera_schema(contract, backend).validate(subject, lazy=True)
        except pandera.errors.SchemaErrors as errors:
            cases = errors.failure_cases
            if not isinstance(cases, pd.DataFrame):
                cases = cases.to_pandas()
            summary = cases.groupby(["column", "check"], dropna=False).size().reset_index(name="failures")
            return ValidationResult(rows, len(cases), summary.head(MAX_FAILURES_SHOWN))
        return ValidationResult(rows, 0, pd.DataFrame(columns=["column", "check", "failures"]))
    finally:
        connection.execute("drop table if exists validated_rows")
