"""Children's data: no person-level column or identifier in anything users or the public read."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb

from tests.conftest import PipelineRun

# Column names that would carry a person: identifiers, pseudonyms, names, birth dates.
PERSON_LEVEL = re.compile(r"pseudonym|child|pupil|person|birth|postcode|upn|(^|_)id$|request_id|advice_request")
# Ids of things, not people: the KPI catalogue and the statutory timescales.
CATALOGUE_KEYS = {"kpi_id", "timescale_id"}


def _published_columns(data_dir: Path) -> dict[str, list[str]]:
    columns: dict[str, list[str]] = {}
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        for schema, table, column in connection.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
        ).fetchall():
            columns.setdefault(f"warehouse:{schema}.{table}", []).append(column)
    with duckdb.connect() as connection:
        for parquet in sorted((data_dir / "marts").glob("*.parquet")):
            columns[f"parquet:{parquet.name}"] = [
                row[0] for row in connection.execute(f"describe select * from '{parquet}'").fetchall()
            ]
    for export in sorted((data_dir / "published").glob("*.csv")):
        with export.open(newline="") as handle:
            columns[f"open data:{export.name}"] = next(csv.reader(handle))
    return columns


def test_every_column_of_every_mart_and_export_is_free_of_person_level_data(demo_run: PipelineRun):
    columns = _published_columns(demo_run.data_dir)
    # The staff marts, the published warehouse and the open-data export are all enumerated.
    assert {
        "parquet:kpi_comparison.parquet",
        "warehouse:marts.kpi_comparison",
        "open data:kpi_comparison_public.csv",
    } <= set(columns)
    offending = {
        where: [name for name in names if PERSON_LEVEL.search(name) and name not in CATALOGUE_KEYS]
        for where, names in columns.items()
    }
    assert {where: names for where, names in offending.items() if names} == {}


def test_no_raw_identifier_appears_anywhere_users_read(demo_run: PipelineRun):
    raw_ids: set[str] = set()
    for extract in (demo_run.data_dir / "raw").iterdir():
        for path in extract.glob("*.csv"):
            with path.open(newline="") as handle:
                for row in csv.DictReader(handle):
                    raw_ids.update(value for key, value in row.items() if key.endswith("_id"))
    assert raw_ids
    published_text = "\n".join(
        path.read_bytes().decode("latin-1")
        for path in [*(demo_run.data_dir / "published").glob("*.csv"), demo_run.data_dir / "warehouse.duckdb"]
    )
    with duckdb.connect() as connection:
        parquet_text = "\n".join(
            str(row)
            for parquet in (demo_run.data_dir / "marts").glob("*.parquet")
            for row in connection.execute(f"select * from '{parquet}'").fetchall()
        )
    leaked = {identifier for identifier in raw_ids if identifier in published_text or identifier in parquet_text}
    assert leaked == set()


def test_build_warehouse_keeps_identifiers_only_as_keyed_hashes(demo_run: PipelineRun):
    from schemas import EXTRACTS

    build = demo_run.data_dir / "build" / "warehouse_build.duckdb"
    with duckdb.connect(str(build), read_only=True) as connection:
        for name, spec in EXTRACTS.items():
            ids = connection.execute(f"select {', '.join(spec.id_columns)} from raw.{name} limit 1000").fetchall()
            assert ids and all(re.fullmatch(r"[0-9a-f]{64}", value) for row in ids for value in row), name
