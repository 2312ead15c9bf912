"""Load DfE published files, unchanged, recognised by their header wherever they sit.

Each known layout maps the file's columns (matched case-insensitively, byte-order mark
ignored) to one canonical table in the build warehouse, every value kept as published text:
turning suppression symbols (c, x, z, u, low, :) into NULL-with-a-reason is one rule in the
dbt staging models (macros/dfe_values.sql), not repeated per loader.
A CSV whose header matches no known layout is reported, naming its columns.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.ingest.files import file_sha256

# Columns every EHC plan release file starts with (explore education statistics conventions).
_GEOGRAPHY = [
    "time_period", "time_identifier", "geographic_level", "country_code", "country_name",
    "region_code", "region_name", "old_la_code", "new_la_code", "la_name",
]


@dataclass(frozen=True)
class Layout:
    """A published file layout: the canonical table it feeds and its column mapping."""

    name: str
    table: str
    # canonical column -> the published column, lower case
    columns: dict[str, str]
    # how the release is named: "<prefix>_<year after the latest time_period>" or a fixed name
    release_prefix: str | None = None
    fixed_release: str | None = None
    # Reference files are recognised only by their exact header: their few columns also
    # appear in every statistics release.
    exact_header: tuple[str, ...] = ()

    def matches(self, header: set[str]) -> bool:
        if self.exact_header:
            return header == set(self.exact_header)
        return set(self.columns.values()) <= header


def _same(names: list[str]) -> dict[str, str]:
    return {name: name for name in names}


LAYOUTS: tuple[Layout, ...] = (
    Layout(
        name="EHC plans release: 20-week timeliness (2023 onwards layout)",
        table="dfe_ehcp_timeliness",
        columns=_same(_GEOGRAPHY + [
            "breakdown_topic", "breakdown", "plans_issued_den", "plans_issued_den_ex",
            "plans_issued_within_20_weeks", "plans_issued_20_weeks_ex",
            "pc_plans_issued_within_20_weeks",
        ]) | {"pc_plans_issued_20_weeks_ex": "pc_plans_issued_20_weeks_ex"},
        release_prefix="dfe_ehcp",
    ),
    Layout(
        name="EHC plans release: requests for EHC needs assessment",
        table="dfe_ehcp_requests",
        columns=_same(_GEOGRAPHY + [
            "breakdown_topic", "breakdown", "requests_received_in_year", "requests_decided_to_assess",
            "requests_decided_not_to_assess", "request_not_assess_pc", "request_outcome_six_weeks",
            "request_outcome_over_6_weeks", "request_outcome_six_weeks_pc",
        ]),
        release_prefix="dfe_ehcp",
    ),
    Layout(
        name="Statistical neighbours (wide: SN_1..SN_10 with closeness)",
        table="dfe_sn_model_wide",
        columns=_same(["old_la_code", "la_name"])
        | {f"sn_{rank}": f"sn_{rank}" for rank in range(1, 11)}
        | {f"sn_{rank}p": f"sn_{rank}p" for rank in range(1, 11)},
        # The wide CSV with closeness bands is how DfE ships the 2025 model (the 2021 model
        # came as a workbook with a different layout).
        fixed_release="sn_model_2025",
    ),
    Layout(
        name="Local authority codes with dates of operation",
        table="dfe_las",
        columns=_same([
            "new_la_code", "la_name", "date_of_operation", "date_of_termination",
            "parent_geography_code", "status", "old_la_code",
        ]),
        fixed_release="reference",
        exact_header=(
            "new_la_code", "la_name", "date_of_operation", "date_of_termination", "parent_geography_code",
            "entity_code", "entity_description", "status", "old_la_code",
        ),
    ),
    Layout(
        name="Region to local authority hierarchy",
        table="dfe_region_la_hierarchy",
        columns=_same(["region_code", "region_name", "old_la_code", "la_name", "new_la_code"]),
        fixed_release="reference",
        exact_header=("region_code", "region_name", "old_la_code", "la_name", "new_la_code"),
    ),
)

# The canonical tables' columns: the layout's canonical names plus provenance.
PROVENANCE = ["release", "source_file"]


@dataclass(frozen=True)
class PublishedFile:
    path: Path
    layout: Layout | None
    header: list[str]
    message: str = ""


def read_header(path: Path) -> list[str]:
    """The first row of a CSV, lower-cased, byte-order mark removed; [] if unreadable."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            return [column.strip().lower() for column in next(csv.reader(handle), [])]
    except OSError:
        return []


def recognise(path: Path) -> PublishedFile:
    header = read_header(path)
    found = set(header)
    # Most specific first: a layout whose columns are a superset wins.
    for layout in sorted(LAYOUTS, key=lambda item: -len(item.columns)):
        if layout.matches(found):
            return PublishedFile(path, layout, header)
    known = set().union(*(set(layout.columns.values()) for layout in LAYOUTS))
    unknown = [column for column in header if column not in known]
    return PublishedFile(
        path, None, header,
        f"{path}: layout not recognised; columns not in any known DfE layout: {', '.join(unknown[:20]) or '(none)'}",
    )


def discover(folder: Path) -> list[PublishedFile]:
    """Every CSV under the folder, any depth, any name, each with its layout or a reason."""
    if not folder.is_dir():
        return []
    return [recognise(path) for path in sorted(folder.rglob("*.csv")) if not path.name.startswith(".")]


def _select_list(layout: Layout, header: list[str]) -> str:
    # read_csv keeps the published spelling (PC_ vs pc_); address each column by its real name.
    real_names = {column.lower(): column for column in header}
    return ", ".join(f'"{real_names[published]}" as {canonical}' for canonical, published in layout.columns.items())


def _real_header(connection: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    return [row[0] for row in connection.execute(
        "select column_name from (describe select * from read_csv(?, all_varchar = true, header = true))",
        [str(path)],
    ).fetchall()]


def _release_name(connection: duckdb.DuckDBPyConnection, layout: Layout, path: Path) -> str:
    if layout.fixed_release:
        return layout.fixed_release
    if layout.release_prefix is None:
        return path.stem
    latest = connection.execute(
        "select max(try_cast(left(time_period, 4) as integer)) from read_csv(?, all_varchar = true, header = true)",
        [str(path)],
    ).fetchone()[0]
    # DfE publishes each calendar year's statistics the following June: data to 2024 = 2025 release.
    return f"{layout.release_prefix}_{latest + 1}"


def ensure_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("create schema if not exists raw")
    connection.execute(
        "create table if not exists raw.dfe_files (file_path varchar, file_sha256 varchar, layout varchar, "
        "canonical_table varchar, release varchar, rows_loaded integer, message varchar, loaded_at timestamp)"
    )
    for layout in LAYOUTS:
        columns = ", ".join(f"{name} varchar" for name in [*PROVENANCE, *layout.columns])
        connection.execute(f"create table if not exists raw.{layout.table} ({columns})")


def load_published_folder(connection: duckdb.DuckDBPyConnection, folder: Path) -> list[PublishedFile]:
    """Replace the canonical tables with what the folder holds now, in one transaction."""
    files = discover(folder)
    ensure_tables(connection)
    connection.execute("begin transaction")
    try:
        connection.execute("delete from raw.dfe_files")
        for layout in LAYOUTS:
            connection.execute(f"delete from raw.{layout.table}")
        for published in files:
            _load_one(connection, published)
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    return files


def _load_one(connection: duckdb.DuckDBPyConnection, published: PublishedFile) -> None:
    path, layout = published.path, published.layout
    now = datetime.now()
    if layout is None:
        connection.execute(
            "insert into raw.dfe_files values (?, ?, null, null, null, 0, ?, ?)",
            [str(path), file_sha256(path), published.message, now],
        )
        return
    release = _release_name(connection, layout, path)
    select_list = _select_list(layout, _real_header(connection, path))
    connection.execute(
        f"insert into raw.{layout.table} select ? as release, ? as source_file, {select_list} "
        "from read_csv(?, all_varchar = true, header = true)",
        [release, str(path), str(path)],
    )
    rows = connection.execute(
        f"select count(*) from raw.{layout.table} where source_file = ?", [str(path)]
    ).fetchone()[0]
    connection.execute(
        "insert into raw.dfe_files values (?, ?, ?, ?, ?, ?, ?, ?)",
        [str(path), file_sha256(path), layout.name, layout.table, release, rows, f"loaded {rows} rows", now],
    )
