"""One contract per input (schemas/contract.py): the pandera schema, the warehouse table, the
dbt source, the docs tables and the sample's headers all come from it and agree with it."""

from __future__ import annotations

import dataclasses
import re

import duckdb
import pandas as pd
import pytest
import yaml

from pipelines.contract_docs import DBT_SOURCES, DOCS, docs_table, stale_files
from pipelines.ingest.loader import cast_sql
from schemas import CONTRACTS, EHC_REQUESTS
from schemas.contract import Column
from schemas.validation import pandera_schema, rule_verdicts, validate_query
from synthetic_sample.ehc_extracts import ADVICE_COLUMNS, REQUEST_COLUMNS
from synthetic_sample.indicator_extracts import (
    ANNUAL_REVIEW_COLUMNS,
    CME_COLUMNS,
    EXCLUSION_COLUMNS,
    NEET_COLUMNS,
    SCHOOL_CENSUS_COLUMNS,
)

_DUCKDB_TYPES = {"VARCHAR": "VARCHAR", "DATE": "DATE", "INTEGER": "INTEGER", "DOUBLE": "DOUBLE"}


def test_generated_docs_and_dbt_sources_match_the_contracts():
    assert stale_files() == [], "run `sendkpi docs`: a generated file drifted from the contracts"


def _docs_columns(text: str, name: str) -> list[str]:
    block = re.search(rf"<!-- contract: {name} -->(.*?)<!-- end contract: {name} -->", text, re.DOTALL).group(1)
    return [line.split("|")[1].strip() for line in block.splitlines() if line.startswith("| ") and "---" not in line][
        1:
    ]


@pytest.mark.parametrize("name", list(CONTRACTS))
def test_each_contract_gives_a_table_a_schema_a_source_and_docs_that_agree(name):
    contract = CONTRACTS[name]
    connection = duckdb.connect()
    connection.execute("create schema raw")
    connection.execute(contract.table_ddl())
    described = connection.execute(f"describe raw.{name}").fetchall()
    provenance = [column for column, _ in contract.provenance_columns]
    assert [row[0] for row in described] == provenance + contract.column_names
    assert [row[1] for row in described[len(provenance) :]] == [c.sql_type for c in contract.fields]

    for backend in ("pandas", "polars", "ibis"):
        schema = pandera_schema(contract, backend)
        for column in contract.fields:
            assert schema.columns[column.name].nullable is (not column.required), (backend, column.name)
        assert {check.name for check in schema.checks} == {verdict.check_name for verdict in rule_verdicts(contract)}

    sources = yaml.safe_load(DBT_SOURCES.read_text())["sources"][0]["tables"]
    [source] = [table for table in sources if table["name"] == name]
    assert [column["name"] for column in source["columns"]] == contract.column_names
    for column, documented in zip(contract.fields, source["columns"], strict=True):
        tests = documented.get("data_tests", [])
        assert ("not_null" in tests) is column.required
        codes = [t["accepted_values"]["arguments"]["values"] for t in tests if isinstance(t, dict)]
        assert codes == ([list(column.codes)] if column.codes else [])

    documented = [_docs_columns(path.read_text(), name) for path in DOCS if f"contract: {name} -->" in path.read_text()]
    assert documented == [contract.column_names]


def test_the_sample_generators_write_the_contracts_headers():
    expected = {
        "ehc_requests": REQUEST_COLUMNS,
        "advice_requests": ADVICE_COLUMNS,
        "annual_reviews": ANNUAL_REVIEW_COLUMNS,
        "exclusions": EXCLUSION_COLUMNS,
        "children_missing_education": CME_COLUMNS,
        "neet": NEET_COLUMNS,
        "school_census": SCHOOL_CENSUS_COLUMNS,
    }
    for name, header in expected.items():
        assert header == CONTRACTS[name].column_names, name


def test_a_new_column_is_one_edit_of_the_contract():
    """A column added to a contract appears in the table, the pandera schema and the docs."""
    extra = Column("interpreter_needed", "code", False, "whether an interpreter was needed", codes=("yes", "no"))
    contract = dataclasses.replace(EHC_REQUESTS, fields=(*EHC_REQUESTS.fields, extra))

    assert "interpreter_needed VARCHAR" in contract.table_ddl()
    assert "interpreter_needed" in pandera_schema(contract, "pandas").columns
    assert "| interpreter_needed | code | no | `yes`, `no` |" in docs_table(contract)
    assert "interpreter_needed isin(['yes', 'no'])" in {verdict.check_name for verdict in rule_verdicts(contract)}


def _frame_query(connection: duckdb.DuckDBPyConnection, rows: list[dict]) -> str:
    connection.register("hand_made", pd.DataFrame(rows))
    return "select * from hand_made"


@pytest.mark.parametrize("backend", ["pandas", "polars", "ibis"])
def test_pandera_reports_a_broken_rule_with_every_backend(backend):
    """Rows that break rules fail the pandera schema, whichever backend validates them."""
    good = {
        "request_id": "a",
        "child_id": "c",
        "request_received_date": pd.Timestamp("2023-07-03"),
        "decision_date": pd.NaT,
        "decision": None,
        "assessment_outcome": None,
        "assessment_outcome_date": pd.NaT,
        "exception_reason": None,
        "age_at_request": 7,
        "primary_need": "ASD",
        "source_period": "2023-24_Q2",
        "period_start": pd.Timestamp("2023-07-01"),
        "period_end": pd.Timestamp("2023-09-30"),
    }
    bad = {**good, "request_id": "b", "decision": "assess", "age_at_request": 30}  # no decision date; age > 25
    connection = duckdb.connect()
    query = (
        f"select * replace (cast(request_received_date as date) as request_received_date, "
        f"cast(decision_date as date) as decision_date, cast(assessment_outcome_date as date) as "
        f"assessment_outcome_date, cast(period_start as date) as period_start, cast(period_end as date) as "
        f"period_end, cast(age_at_request as integer) as age_at_request, cast(assessment_outcome as varchar) as "
        f"assessment_outcome, cast(exception_reason as varchar) as exception_reason) from ({_frame_query(connection, [good, bad])})"
    )

    result = validate_query(connection, EHC_REQUESTS, query, backend)
    clean = validate_query(connection, EHC_REQUESTS, query + " where request_id = 'a'", backend)

    assert not result.passed
    assert set(result.by_rule["check"]) == {
        "age_at_request in_range(0, 25)",
        "decision_date present exactly when decision is present",
    }
    assert clean.passed and clean.rows_checked == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-07-03", "2023-07-03"),
        ("03/07/2023", "2023-07-03"),
        ("2023-07-03 00:00:00", "2023-07-03"),
        ("04/05/23", None),
        ("9999-12-31", None),
        ("1899-12-31", None),
        ("1900-01-01", "1900-01-01"),
        ("2099-12-31", "2099-12-31"),
        ("2023-02-29", None),
        ("07/20/2023", None),
    ],
)
def test_dates_are_cast_from_the_accepted_spellings_only(text, expected):
    connection = duckdb.connect()
    date_column = EHC_REQUESTS.column("request_received_date")
    value = connection.execute(
        f"select cast({cast_sql(date_column)} as varchar) from (select ? as request_received_date) as incoming", [text]
    ).fetchone()[0]
    assert value == expected
