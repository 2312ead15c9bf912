"""Load quarterly extract files into the build warehouse: validate, pseudonymise, quarantine.

For each file, in one transaction:
  file-level rules (readable, not empty, period in the name, exactly the documented columns)
  -> parse every cell to its kind in DuckDB, pseudonymising identifiers (type failures)
  -> pandera rules on the typed rows, lazily (rule failures)
  -> good rows into raw.<extract>, failures into raw.quarantine, one row into raw.load_log.
A file already loaded (same sha256, whatever its name) changes nothing. A different file
for a quarter already loaded supersedes it: the old rows stay, marked by their load, so the
history of every quarter is kept; staging reads the current load only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa

from pipelines.ingest.files import (
    ROW_NUMBER,
    FileRejected,
    check_columns,
    file_sha256,
    list_extract_files,
    read_text_frame,
)
from pipelines.ingest.pseudonymise import hmac_pads, hmac_sql
from pipelines.periods import FinancialQuarter
from schemas.extract_spec import PERIOD_END, PERIOD_START, SOURCE_PERIOD, ExtractSpec

QUARANTINE_COLUMNS = [ROW_NUMBER, "column_name", "check_name", "original_value"]
# Accepted date spellings: ISO, UK day-first, and ISO with a midnight time from Excel.
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file; the run report is made of these."""

    extract: str
    path: Path
    status: str  # loaded | unchanged | rejected
    message: str
    source_period: str | None = None
    rows_in_file: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0


def _parsed_sql(column: str, kind: str) -> str:
    """SQL casting one text column to its kind; '' is NULL; failures become NULL too."""
    text = f"nullif(incoming.{column}, '')"
    if kind == "id":
        return hmac_sql(text)
    if kind == "date":
        attempts = ", ".join(f"try_strptime({text}, '{fmt}')" for fmt in _DATE_FORMATS)
        return f"cast(coalesce({attempts}) as date)"
    if kind == "integer":
        # Excel writes whole numbers as '12.0'; a value with a real fraction is not whole.
        number = f"try_cast({text} as decimal(18, 6))"
        return f"case when {number} = trunc({number}) then cast({number} as integer) end"
    return text


_TYPE_RULES = {
    "date": "type: a date (YYYY-MM-DD or DD/MM/YYYY)",
    "integer": "type: a whole number",
}


def parse_extract(
    connection: duckdb.DuckDBPyConnection, spec: ExtractSpec, text: pd.DataFrame, key: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cast the text frame set-wise; return (typed rows, type failures)."""
    inner, outer = hmac_pads(key)
    params = {"inner_pad": inner, "outer_pad": outer}
    connection.register("incoming", text)
    try:
        selected = ", ".join(
            f"{_parsed_sql(column, kind)} as {column}" for column, kind in spec.kinds.items()
        )
        typed = connection.execute(
            f"select incoming.{ROW_NUMBER}, {selected} from incoming order by {ROW_NUMBER}", params
        ).df()
        failure_selects = [
            f"select {ROW_NUMBER}, '{column}' as column_name, '{_TYPE_RULES[kind]}' as check_name, "
            f"incoming.{column} as original_value from incoming "
            f"where incoming.{column} <> '' and {_parsed_sql(column, kind)} is null"
            for column, kind in spec.kinds.items()
            if kind in _TYPE_RULES
        ]
        failures = (
            connection.execute(" union all ".join(failure_selects)).df()
            if failure_selects
            else pd.DataFrame(columns=QUARANTINE_COLUMNS)
        )
    finally:
        connection.unregister("incoming")
    return typed, failures


def rule_failures(spec: ExtractSpec, typed: pd.DataFrame) -> pd.DataFrame:
    """Validate the typed rows with the extract's pandera schema; one row per failure."""
    try:
        spec.schema.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return pd.DataFrame(columns=[ROW_NUMBER, "column_name", "check_name"])
    whole_frame = cases[cases["index"].isna()]
    if not whole_frame.empty:
        first = whole_frame.iloc[0]
        raise RuntimeError(f"{spec.name}: rule {first['check']} could not run: {first['failure_case']}")
    cases = cases.assign(
        column_name=[
            spec.blamed_column(check, column if isinstance(column, str) else None)
            for column, check in zip(cases["column"], cases["check"], strict=True)
        ],
        check_name=cases["check"].astype(str).replace({"multiple_fields_uniqueness": "unique within the file"}),
    )
    cases[ROW_NUMBER] = typed[ROW_NUMBER].to_numpy()[cases["index"].astype(int).to_numpy()]
    return cases[[ROW_NUMBER, "column_name", "check_name"]].drop_duplicates()


def _with_original_values(spec: ExtractSpec, failures: pd.DataFrame, text: pd.DataFrame, typed: pd.DataFrame) -> pd.DataFrame:
    """Attach the cell's original text; identifiers only ever as their pseudonyms."""
    if failures.empty:
        return failures.assign(original_value=pd.Series(dtype="str"))
    shown = text.set_index(ROW_NUMBER)
    pseudonyms = typed.set_index(ROW_NUMBER)
    values = []
    for row, column in zip(failures[ROW_NUMBER], failures["column_name"], strict=True):
        if column in spec.id_columns:
            values.append(pseudonyms.at[row, column])
        elif column in shown.columns:
            values.append(shown.at[row, column])
        else:
            values.append(None)
    return failures.assign(original_value=values)


def _drop_echoes(spec: ExtractSpec, rules: pd.DataFrame, types: pd.DataFrame) -> pd.DataFrame:
    """Keep each problem once. A cell that failed to parse is NULL, so its 'not nullable'
    failure says nothing new; and a row rule reading a cell already reported in that row
    (unparsable, or blank but required) fails only because of it."""
    if rules.empty:
        return rules
    unparsable = set(zip(types[ROW_NUMBER], types["column_name"], strict=True))
    missing = {
        (row, column)
        for row, column, check in zip(rules[ROW_NUMBER], rules["column_name"], rules["check_name"], strict=True)
        if check == "not_nullable"
    }
    reported = unparsable | missing
    is_echo = [
        ((row, column) in unparsable and check == "not_nullable")
        or any((row, read) in reported for read in spec.rule_inputs(check))
        for row, column, check in zip(rules[ROW_NUMBER], rules["column_name"], rules["check_name"], strict=True)
    ]
    return rules[~pd.Series(is_echo, index=rules.index, dtype=bool)]


def validate_file(
    connection: duckdb.DuckDBPyConnection, spec: ExtractSpec, path: Path, quarter: FinancialQuarter, key: str
) -> tuple[pd.DataFrame, pd.DataFrame, str, int]:
    """Return (rows to load, quarantine rows, encoding, rows in file); raise FileRejected."""
    table = read_text_frame(path, spec.column_names)
    text = table.frame
    check_columns(path, [c for c in text.columns if c != ROW_NUMBER], spec.column_names)
    if text.empty:
        raise FileRejected(path, "no rows", "the file has a header but no data rows")
    typed, type_failures = parse_extract(connection, spec, text, key)
    typed[SOURCE_PERIOD] = quarter.label
    typed[PERIOD_START] = pd.Timestamp(quarter.first_day)
    typed[PERIOD_END] = pd.Timestamp(quarter.last_day)
    failures = pd.concat(
        [type_failures[[ROW_NUMBER, "column_name", "check_name"]],
         _drop_echoes(spec, rule_failures(spec, typed), type_failures)],
        ignore_index=True,
    )
    quarantine = _with_original_values(spec, failures, text, typed)
    good = typed[~typed[ROW_NUMBER].isin(quarantine[ROW_NUMBER])]
    return good, quarantine, table.encoding, len(text)


def _known_file(connection: duckdb.DuckDBPyConnection, spec: ExtractSpec, sha256: str) -> tuple | None:
    """A file whose content was loaded before (under any name). A rejected file is tried
    again: its rejection may have been about its name, or the rules may have changed."""
    return connection.execute(
        "select file_path, status, message from raw.load_log where extract = ? and file_sha256 = ? "
        "and status in ('current', 'superseded') order by loaded_at desc limit 1",
        [spec.name, sha256],
    ).fetchone()


def _current_load(connection: duckdb.DuckDBPyConnection, spec: ExtractSpec, period: str) -> str | None:
    row = connection.execute(
        "select load_id from raw.load_log where extract = ? and source_period = ? and status = 'current'",
        [spec.name, period],
    ).fetchone()
    return row[0] if row else None


def _record_rejection(connection: duckdb.DuckDBPyConnection, spec: ExtractSpec, path: Path, sha256: str, error: FileRejected, period: str | None) -> FileOutcome:
    # One log row per rejected file and content: trying it again updates the row.
    connection.execute(
        "insert or replace into raw.load_log (load_id, extract, source_period, file_path, file_name, "
        "file_sha256, status, message, loaded_at) values (?, ?, ?, ?, ?, ?, 'rejected', ?, ?)",
        [f"{spec.name}:rejected:{path.name}:{sha256[:16]}", spec.name, period, str(path), path.name, sha256,
         str(error), datetime.now()],
    )
    return FileOutcome(spec.name, path, "rejected", str(error), period)


def _store(connection: duckdb.DuckDBPyConnection, spec: ExtractSpec, path: Path, sha256: str, quarter: FinancialQuarter, result: tuple) -> FileOutcome:
    good, quarantine, encoding, rows_in_file = result
    load_id = f"{spec.name}:{quarter.label}:{sha256[:16]}"
    now = datetime.now()
    previous = _current_load(connection, spec, quarter.label)
    if previous:
        connection.execute(
            "update raw.load_log set status = 'superseded', superseded_by = ? where load_id = ?", [load_id, previous]
        )
    columns = [SOURCE_PERIOD, PERIOD_START, PERIOD_END, ROW_NUMBER, *spec.column_names]
    connection.register("good_rows", good[columns])
    connection.execute(f"insert into raw.{spec.name} by name select ? as load_id, * from good_rows", [load_id])
    connection.unregister("good_rows")
    connection.register("quarantined", quarantine[QUARANTINE_COLUMNS])
    connection.execute(
        "insert into raw.quarantine by name select ? as load_id, ? as extract, ? as file_path, "
        "* , ? as quarantined_at from quarantined",
        [load_id, spec.name, str(path), now],
    )
    connection.unregister("quarantined")
    quarantined_rows = int(quarantine[ROW_NUMBER].nunique())
    replaced = f"; replaces {previous}" if previous else ""
    encoding_note = f"; read as {encoding}" if encoding not in ("utf-8", "xlsx") else ""
    message = f"loaded {len(good)} of {rows_in_file} rows, quarantined {quarantined_rows}{replaced}{encoding_note}"
    connection.execute(
        "insert into raw.load_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'current', ?, ?, null)",
        [load_id, spec.name, quarter.label, str(path), path.name, sha256, encoding, rows_in_file, len(good),
         quarantined_rows, message, now],
    )
    return FileOutcome(spec.name, path, "loaded", message, quarter.label, rows_in_file, len(good), quarantined_rows)


def load_extract_file(connection: duckdb.DuckDBPyConnection, spec: ExtractSpec, path: Path, key: str, sha256: str | None = None) -> FileOutcome:
    """Load one file in its own transaction: all of it (rows + quarantine + log) or nothing."""
    sha256 = sha256 or file_sha256(path)
    known = _known_file(connection, spec, sha256)
    if known:
        file_path, status, message = known
        same = "this file" if file_path == str(path) else f"identical to {file_path}"
        return FileOutcome(spec.name, path, "unchanged", f"already seen ({same}, {status}): nothing to do")
    quarter = FinancialQuarter.find_in(path.name)
    connection.execute("begin transaction")
    try:
        if quarter is None:
            error = FileRejected(path, "no period in file name", "the name must contain a financial quarter like 2023-24_Q2")
            outcome = _record_rejection(connection, spec, path, sha256, error, None)
        else:
            try:
                outcome = _store(connection, spec, path, sha256, quarter, validate_file(connection, spec, path, quarter, key))
            except FileRejected as error:
                outcome = _record_rejection(connection, spec, path, sha256, error, quarter.label)
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    return outcome


def _ambiguous_quarters(new_files: dict[Path, str]) -> dict[str, list[Path]]:
    """Quarters for which two or more different files arrive at once: which one is right?"""
    by_quarter: dict[str, list[Path]] = defaultdict(list)
    for path in new_files:
        quarter = FinancialQuarter.find_in(path.name)
        if quarter is not None:
            by_quarter[quarter.label].append(path)
    return {label: paths for label, paths in by_quarter.items() if len(paths) > 1}


def in_scope(path: Path, quarters: set[str] | None) -> bool:
    """Does a run for these quarters (None: every quarter) handle this file? A file whose
    name has no quarter belongs to none, so every run reports it (as rejected)."""
    quarter = FinancialQuarter.find_in(path.name)
    return quarters is None or quarter is None or quarter.label in quarters


def load_extract_folder(
    connection: duckdb.DuckDBPyConnection, spec: ExtractSpec, folder: Path, key: str, quarters: set[str] | None = None
) -> list[FileOutcome]:
    """Load the files of an extract's folder for these quarters (None: all), oldest first."""
    files = [path for path in list_extract_files(folder) if in_scope(path, quarters)]
    hashes = {path: file_sha256(path) for path in files}
    # Two copies of the same new content: the first is loaded, the second is then "unchanged".
    unique_new: dict[Path, str] = {}
    for path, sha in hashes.items():
        if sha not in unique_new.values() and _known_file(connection, spec, sha) is None:
            unique_new[path] = sha
    ambiguous = _ambiguous_quarters(unique_new)
    outcomes = []
    for path in sorted(files, key=lambda p: (FinancialQuarter.find_in(p.name) or FinancialQuarter(0, 1), p.name)):
        quarter = FinancialQuarter.find_in(path.name)
        if quarter is not None and quarter.label in ambiguous and path in unique_new:
            others = ", ".join(p.name for p in ambiguous[quarter.label] if p != path)
            error = FileRejected(
                path, f"two new files for {quarter.label}",
                f"{path.name} and {others} both claim the quarter; remove the one that is wrong and run again",
            )
            connection.execute("begin transaction")
            outcomes.append(_record_rejection(connection, spec, path, hashes[path], error, quarter.label))
            connection.execute("commit")
            continue
        outcomes.append(load_extract_file(connection, spec, path, key, hashes[path]))
    return outcomes
