"""Load the Dedicated Schools Grant returns: every CSV in data/raw/dsg/, reloaded whole.

Two layouts, recognised by their exact header (any file names): budget monitoring
(schemas/dsg_monitoring.py) and balances (schemas/dsg_balances.py). Every run replaces
raw.dsg_monitoring and raw.dsg_balances with what the folder holds now, in one transaction,
and replaces the DSG rows of raw.quarantine with the rows failing a rule now. A file whose
header is neither layout is reported (naming its columns) and not loaded. These are council
finance figures, not person-level data: nothing is pseudonymised. No folder: empty tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa

from pipelines.ingest.files import FileRejected, file_sha256, read_text_frame
from pipelines.warehouse import QUARANTINE_DDL
from schemas import dsg_balances, dsg_monitoring
from schemas.dsg_common import SOURCE_FILE, SOURCE_ROW_NUMBER


@dataclass(frozen=True)
class DsgLayout:
    name: str  # the raw table, and the `extract` of its quarantine rows
    columns: list[str]
    amount_columns: list[str]
    key: list[str]
    schema: pa.DataFrameSchema


LAYOUTS = (
    DsgLayout(dsg_monitoring.NAME, dsg_monitoring.COLUMNS, dsg_monitoring.AMOUNT_COLUMNS,
              dsg_monitoring.KEY, dsg_monitoring.DSG_MONITORING),
    DsgLayout(dsg_balances.NAME, dsg_balances.COLUMNS, dsg_balances.AMOUNT_COLUMNS,
              dsg_balances.KEY, dsg_balances.DSG_BALANCES),
)
TABLES = [layout.name for layout in LAYOUTS]
QUARANTINE_COLUMNS = ["load_id", "extract", "file_path", SOURCE_ROW_NUMBER, "column_name", "check_name", "original_value"]
TYPE_RULE = "type: a number (GBP thousands)"


@dataclass(frozen=True)
class DsgFile:
    """One file of the folder and what became of it; `layout` None: not loaded."""

    path: Path
    layout: str | None
    message: str
    rows_in_file: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0


def _table_ddl(layout: DsgLayout) -> str:
    columns = ", ".join(
        f"{column} {'double' if column in layout.amount_columns else 'varchar'}" for column in layout.columns
    )
    return f"create or replace table raw.{layout.name} ({SOURCE_FILE} varchar, {SOURCE_ROW_NUMBER} integer, {columns})"


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        path for path in folder.iterdir()
        if path.is_file() and path.suffix.lower() == ".csv" and not path.name.startswith((".", "~$"))
    )


def _read(path: Path) -> tuple[DsgLayout | None, pd.DataFrame | None, str]:
    """(layout, text rows, message); a file of no known layout is named with its columns."""
    try:
        frame = read_text_frame(path, []).frame
    except FileRejected as error:
        return None, None, str(error)
    header = [column for column in frame.columns if column != SOURCE_ROW_NUMBER]
    for layout in LAYOUTS:
        if sorted(header) == sorted(layout.columns):
            return layout, frame, ""
    return None, None, (
        f"{path}: layout not recognised (not a DSG monitoring or balances file); its columns: "
        f"{', '.join(header) or '(none)'}"
    )


def _typed(layout: DsgLayout, text: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cast amounts (thousands separators allowed); '' is NULL. Returns (typed, type failures)."""
    typed = text.copy()
    failures = []
    for column in layout.columns:
        values = text[column].replace("", None)
        if column in layout.amount_columns:
            parsed = pd.to_numeric(values.str.replace(",", "", regex=False), errors="coerce")
            bad = values.notna() & parsed.isna()
            failures.extend((index, column, TYPE_RULE) for index in text.index[bad])
            typed[column] = parsed.astype(float)
        else:
            typed[column] = values
    return typed, pd.DataFrame(failures, columns=["index", "column_name", "check_name"])


def _rule_failures(layout: DsgLayout, typed: pd.DataFrame) -> pd.DataFrame:
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
    unique = cases["check"].astype(str) == "multiple_fields_uniqueness"
    return pd.DataFrame({
        "index": cases["index"].astype(int),
        "column_name": cases["column"].where(~unique, ",".join(layout.key)),
        "check_name": cases["check"].astype(str).where(~unique, "unique across the dsg folder"),
    }).drop_duplicates()


def _validate(layout: DsgLayout, text: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(good typed rows, failures with the original text) for one layout's rows."""
    typed, type_failures = _typed(layout, text)
    rules = _rule_failures(layout, typed)
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
    return good[[SOURCE_FILE, SOURCE_ROW_NUMBER, *layout.columns]], failures[QUARANTINE_COLUMNS]


def load_dsg_folder(connection: duckdb.DuckDBPyConnection, folder: Path) -> list[DsgFile]:
    """Replace raw.dsg_monitoring, raw.dsg_balances and the DSG quarantine rows, in one transaction."""
    read: dict[str, list[pd.DataFrame]] = {layout.name: [] for layout in LAYOUTS}
    found: list[tuple[Path, DsgLayout | None, str, int]] = []
    for path in _files(folder):
        layout, frame, message = _read(path)
        if layout is not None:
            frame = frame.assign(**{SOURCE_FILE: str(path), "load_id": f"dsg:{file_sha256(path)[:16]}"})
            read[layout.name].append(frame)
        found.append((path, layout, message, 0 if frame is None else len(frame)))
    results: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    for layout in LAYOUTS:
        text = pd.concat(read[layout.name], ignore_index=True) if read[layout.name] else pd.DataFrame(
            columns=[*layout.columns, SOURCE_FILE, SOURCE_ROW_NUMBER, "load_id"], dtype="object"
        )
        results[layout.name] = _validate(layout, text)
    now = datetime.now()
    connection.execute("begin transaction")
    try:
        connection.execute("create schema if not exists raw")
        connection.execute(QUARANTINE_DDL)
        connection.execute("delete from raw.quarantine where extract in (?, ?)", TABLES)
        for layout in LAYOUTS:
            good, failures = results[layout.name]
            connection.execute(_table_ddl(layout))
            connection.register("dsg_rows", good)
            connection.execute(f"insert into raw.{layout.name} by name select * from dsg_rows")
            connection.unregister("dsg_rows")
            connection.register("dsg_failures", failures.astype({"original_value": "object"}))
            connection.execute(
                "insert into raw.quarantine by name select *, ? as quarantined_at from dsg_failures", [now]
            )
            connection.unregister("dsg_failures")
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    outcomes = []
    for path, layout, message, rows in found:
        if layout is None:
            outcomes.append(DsgFile(path, None, message))
            continue
        good, failures = results[layout.name]
        loaded = int((good[SOURCE_FILE] == str(path)).sum())
        quarantined = int(failures.loc[failures["file_path"] == str(path), SOURCE_ROW_NUMBER].nunique())
        outcomes.append(DsgFile(
            path, layout.name, f"{path.name}: {layout.name}: loaded {loaded} of {rows} rows, quarantined {quarantined}",
            rows, loaded, quarantined,
        ))
    return outcomes
