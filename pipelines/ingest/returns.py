"""Load the aggregate returns: every CSV in a return folder under data/raw/, reloaded whole.

A return folder holds figures about groups, not people (nothing is pseudonymised), in one or
more layouts recognised by their exact header, whatever the file names:
  raw/dsg/            DSG budget monitoring and balances (schemas/dsg_*.py)
  raw/neet/           NEET 16-17 monthly counts (schemas/neet.py)
  raw/school_census/  pupils on roll by phase and SEN status (schemas/school_census.py)
Every run replaces the folder's raw tables with what the folder holds now, in one
transaction, and replaces the folder's rows of raw.quarantine with the rows failing a rule
now (a key must be unique across the folder: two files giving the same figure cannot both
be right). A file whose header is no layout of its folder is reported, naming its columns,
and not loaded. No folder: empty tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa

from pipelines.ingest.files import FileRejected, file_sha256, read_text_frame
from pipelines.warehouse import QUARANTINE_DDL
from schemas import dsg_balances, dsg_monitoring, neet, school_census
from schemas.returns_common import SOURCE_FILE, SOURCE_ROW_NUMBER


@dataclass(frozen=True)
class ReturnLayout:
    name: str  # the raw table, and the `extract` of its quarantine rows
    columns: list[str]
    number_columns: list[str]
    key: list[str]
    schema: pa.DataFrameSchema
    number_rule: str  # the quarantine rule for a number cell that does not parse
    # frame-wide rules (pandera reports them once per column) and the one column blamed
    blamed: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReturnFolder:
    folder: str  # under data/raw/
    description: str
    layouts: tuple[ReturnLayout, ...]

    @property
    def tables(self) -> list[str]:
        return [layout.name for layout in self.layouts]


DSG = ReturnFolder("dsg", "DSG monitoring or balances", (
    ReturnLayout(dsg_monitoring.NAME, dsg_monitoring.COLUMNS, dsg_monitoring.AMOUNT_COLUMNS,
                 dsg_monitoring.KEY, dsg_monitoring.DSG_MONITORING, "type: a number (GBP thousands)"),
    ReturnLayout(dsg_balances.NAME, dsg_balances.COLUMNS, dsg_balances.AMOUNT_COLUMNS,
                 dsg_balances.KEY, dsg_balances.DSG_BALANCES, "type: a number (GBP thousands)"),
))
NEET = ReturnFolder("neet", "NEET 16-17 monthly counts", (
    ReturnLayout(neet.NAME, neet.COLUMNS, neet.NUMBER_COLUMNS, neet.KEY, neet.NEET, "type: a whole number",
                 blamed={"neet + not_known not above the cohort": "neet"}),
))
SCHOOL_CENSUS = ReturnFolder("school_census", "school census headcounts", (
    ReturnLayout(school_census.NAME, school_census.COLUMNS, school_census.NUMBER_COLUMNS, school_census.KEY,
                 school_census.SCHOOL_CENSUS, "type: a whole number"),
))
RETURN_FOLDERS = (DSG, NEET, SCHOOL_CENSUS)
QUARANTINE_COLUMNS = ["load_id", "extract", "file_path", SOURCE_ROW_NUMBER, "column_name", "check_name", "original_value"]


@dataclass(frozen=True)
class ReturnFile:
    """One file of a return folder and what became of it; `layout` None: not loaded."""

    path: Path
    layout: str | None
    message: str
    rows_in_file: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0


def _table_ddl(layout: ReturnLayout) -> str:
    columns = ", ".join(
        f"{column} {'double' if column in layout.number_columns else 'varchar'}" for column in layout.columns
    )
    return (
        f"create or replace table raw.{layout.name} "
        f"(load_id varchar, {SOURCE_FILE} varchar, {SOURCE_ROW_NUMBER} integer, {columns})"
    )


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        path for path in folder.iterdir()
        if path.is_file() and path.suffix.lower() == ".csv" and not path.name.startswith((".", "~$"))
    )


def _read(returns: ReturnFolder, path: Path) -> tuple[ReturnLayout | None, pd.DataFrame | None, str]:
    """(layout, text rows, message); a file of no known layout is named with its columns."""
    try:
        frame = read_text_frame(path, []).frame
    except FileRejected as error:
        return None, None, str(error)
    header = [column for column in frame.columns if column != SOURCE_ROW_NUMBER]
    for layout in returns.layouts:
        if sorted(header) == sorted(layout.columns):
            return layout, frame, ""
    return None, None, (
        f"{path}: layout not recognised (not {returns.description}); its columns: "
        f"{', '.join(header) or '(none)'}"
    )


def _typed(layout: ReturnLayout, text: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cast numbers (thousands separators allowed); '' is NULL. Returns (typed, type failures)."""
    typed = text.copy()
    failures = []
    for column in layout.columns:
        values = text[column].replace("", None)
        if column in layout.number_columns:
            parsed = pd.to_numeric(values.str.replace(",", "", regex=False), errors="coerce")
            bad = values.notna() & parsed.isna()
            failures.extend((index, column, layout.number_rule) for index in text.index[bad])
            typed[column] = parsed.astype(float)
        else:
            typed[column] = values
    return typed, pd.DataFrame(failures, columns=["index", "column_name", "check_name"])


def _rule_failures(layout: ReturnLayout, typed: pd.DataFrame, folder: str) -> pd.DataFrame:
    """Pandera, lazily, over the whole folder's rows of the layout (uniqueness spans files)."""
    try:
        layout.schema.validate(typed[list(layout.schema.columns)], lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return pd.DataFrame(columns=["index", "column_name", "check_name"])
    if cases["index"].isna().any():
        first = cases[cases["index"].isna()].iloc[0]
        raise RuntimeError(f"{layout.name}: rule {first['check']} could not run: {first['failure_case']}")
    checks = cases["check"].astype(str)
    unique = checks == "multiple_fields_uniqueness"
    blamed = checks.map(layout.blamed)
    return pd.DataFrame({
        "index": cases["index"].astype(int),
        "column_name": blamed.fillna(cases["column"]).where(~unique, ",".join(layout.key)),
        "check_name": checks.where(~unique, f"unique across the {folder} folder"),
    }).drop_duplicates()


def _validate(layout: ReturnLayout, text: pd.DataFrame, folder: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(good typed rows, failures with the original text) for one layout's rows."""
    typed, type_failures = _typed(layout, text)
    rules = _rule_failures(layout, typed, folder)
    # A cell that did not parse is NULL: its "not nullable" failure says nothing new.
    echoed = set(zip(type_failures["index"], type_failures["column_name"], strict=True))
    rules = rules[[
        not (check == "not_nullable" and (index, column) in echoed)
        for index, column, check in zip(rules["index"], rules["column_name"], rules["check_name"], strict=True)
    ]]
    failures = pd.concat([type_failures, rules], ignore_index=True)
    failures["original_value"] = [
        ", ".join(str(text.at[index, name]) for name in column.split(","))
        if all(name in text.columns for name in column.split(",")) else None
        for index, column in zip(failures["index"], failures["column_name"], strict=True)
    ]
    failures["file_path"] = text.loc[failures["index"], SOURCE_FILE].to_numpy()
    failures[SOURCE_ROW_NUMBER] = text.loc[failures["index"], SOURCE_ROW_NUMBER].to_numpy()
    failures["load_id"] = text.loc[failures["index"], "load_id"].to_numpy()
    failures["extract"] = layout.name
    good = typed.drop(index=failures["index"].unique())
    return good[["load_id", SOURCE_FILE, SOURCE_ROW_NUMBER, *layout.columns]], failures[QUARANTINE_COLUMNS]


def load_returns_folder(connection: duckdb.DuckDBPyConnection, returns: ReturnFolder, folder: Path) -> list[ReturnFile]:
    """Replace the folder's raw tables and its quarantine rows, in one transaction."""
    read: dict[str, list[pd.DataFrame]] = {layout.name: [] for layout in returns.layouts}
    found: list[tuple[Path, ReturnLayout | None, str, int]] = []
    for path in _files(folder):
        layout, frame, message = _read(returns, path)
        if layout is not None:
            frame = frame.assign(**{SOURCE_FILE: str(path), "load_id": f"{returns.folder}:{file_sha256(path)[:16]}"})
            read[layout.name].append(frame)
        found.append((path, layout, message, 0 if frame is None else len(frame)))
    results: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    for layout in returns.layouts:
        text = pd.concat(read[layout.name], ignore_index=True) if read[layout.name] else pd.DataFrame(
            columns=[*layout.columns, SOURCE_FILE, SOURCE_ROW_NUMBER, "load_id"], dtype="object"
        )
        results[layout.name] = _validate(layout, text, returns.folder)
    now = datetime.now()
    connection.execute("begin transaction")
    try:
        connection.execute("create schema if not exists raw")
        connection.execute(QUARANTINE_DDL)
        connection.execute(
            "delete from raw.quarantine where list_contains(?, extract)", [returns.tables]
        )
        for layout in returns.layouts:
            good, failures = results[layout.name]
            connection.execute(_table_ddl(layout))
            connection.register("return_rows", good)
            connection.execute(f"insert into raw.{layout.name} by name select * from return_rows")
            connection.unregister("return_rows")
            connection.register("return_failures", failures.astype({"original_value": "object"}))
            connection.execute(
                "insert into raw.quarantine by name select *, ? as quarantined_at from return_failures", [now]
            )
            connection.unregister("return_failures")
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    outcomes = []
    for path, layout, message, rows in found:
        if layout is None:
            outcomes.append(ReturnFile(path, None, message))
            continue
        good, failures = results[layout.name]
        loaded = int((good[SOURCE_FILE] == str(path)).sum())
        quarantined = int(failures.loc[failures["file_path"] == str(path), SOURCE_ROW_NUMBER].nunique())
        outcomes.append(ReturnFile(
            path, layout.name, f"{path.name}: {layout.name}: loaded {loaded} of {rows} rows, quarantined {quarantined}",
            rows, loaded, quarantined,
        ))
    return outcomes
