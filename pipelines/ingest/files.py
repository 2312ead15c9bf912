"""Reading an input file into DuckDB as text, and the file-level rules that reject a file whole.

A file is staged into the temporary table `incoming_text`: one row per data row with its row
number as the analyst sees it (`source_row_number`: the header is row 1 of a CSV, blank lines
count as Excel shows them; Excel's own row numbers in a workbook) and every cell as trimmed
text in columns c0, c1, ... in the order of the header (`StagedFile.header`). Nothing is
interpreted here; the loader casts and checks (pipelines/ingest/loader.py).

CSV files are parsed by DuckDB's reader, strictly: every row must have as many fields as the
header, otherwise the file is rejected naming the rows. UTF-8 (with or without a byte-order
mark) is read in place; Windows-1252 (Excel on Windows) and UTF-16 ("Unicode text" in Excel)
are detected, converted to a temporary UTF-8 copy and named in the load message.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.ingest.dfe_workbooks import read_workbook_rows

EXTRACT_SUFFIXES = (".csv", ".xlsx")
# The first data row is row 2: row 1 is the header, as an analyst sees it in Excel.
FIRST_DATA_ROW = 2
ROW_NUMBER = "source_row_number"
STAGED_TABLE = "incoming_text"
# Whitespace trimmed from every cell (DuckDB's trim() alone removes spaces only).
_WHITESPACE = " \t\r\n\u00a0"


class FileRejected(Exception):
    """A file fails a file-level rule; nothing from it is loaded."""

    def __init__(self, path: Path, rule: str, detail: str, columns: list[str] | None = None):
        self.path = path
        self.rule = rule
        self.detail = detail
        self.columns = columns or []
        columns_text = f" Columns: {', '.join(self.columns)}." if self.columns else ""
        super().__init__(f"{path}: rejected ({rule}): {detail}.{columns_text}")


@dataclass(frozen=True)
class StagedFile:
    """A file staged in `incoming_text` (see the module docstring)."""

    header: list[str]
    encoding: str
    rows: int

    def position(self, column: str) -> str:
        """The staged column holding a documented column."""
        return f"c{self.header.index(column)}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def list_extract_files(folder: Path) -> list[Path]:
    """Data files in an extract folder; hidden files, Excel lock files and links to files
    outside raw/ are not extracts (pipelines/ingest/drop_zone.py says why for each entry)."""
    if not folder.is_dir():
        return []
    raw_dir = folder.parent.resolve()
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file()
        and path.suffix.lower() in EXTRACT_SUFFIXES
        and not path.name.startswith((".", "~$"))
        and path.resolve().is_relative_to(raw_dir)
    )


def normalise_header(name: object) -> str:
    return str(name).strip().lower().replace(" ", "_")


# --- encodings ---------------------------------------------------------------------------------


def _decode(path: Path, raw: bytes) -> tuple[str, str]:
    """(text, encoding name) of a CSV file: UTF-16 when it says so (a byte-order mark) or looks
    like it (every other byte zero), UTF-8 with or without a byte-order mark, else
    Windows-1252 as Excel on Windows saves."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_like_utf16(raw):
        try:
            return _utf16(raw).lstrip("\ufeff"), "utf-16"
        except UnicodeDecodeError as error:
            raise FileRejected(
                path, "unreadable", f"looks like UTF-16 text but does not decode ({error.reason})"
            ) from None
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as error:
        raise FileRejected(path, "unreadable", f"neither UTF-8 nor Windows-1252 text ({error.reason})") from None


def _looks_like_utf16(raw: bytes) -> bool:
    sample = raw[:4096]
    return len(sample) >= 4 and (sample[1::2].count(0) > len(sample) // 4 or sample[0::2].count(0) > len(sample) // 4)


def _utf16(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    # No byte-order mark: the zero bytes say which half of each character comes first.
    little_endian = raw[1::2].count(0) >= raw[0::2].count(0)
    return raw.decode("utf-16-le" if little_endian else "utf-16-be")


# --- CSV -----------------------------------------------------------------------------------------


def _header(path: Path, text: str) -> list[str]:
    """The first record's fields (blank lines before it are skipped, as DuckDB skips them)."""
    try:
        for record in csv.reader(io.StringIO(text, newline="")):
            if record:
                return record
    except csv.Error as error:
        raise FileRejected(path, "unreadable", f"not a well-formed CSV file ({error})") from None
    raise FileRejected(path, "empty file", "the file has no header and no rows")


def _csv_options(width: int) -> str:
    # Positional column names: a header is data from the file and never enters SQL text.
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    return (
        f"header = false, auto_detect = false, columns = {{{columns}}}, delim = ',', quote = '\"', "
        "escape = '\"', new_line = '\\n', strict_mode = true, null_padding = false, "
        "store_rejects = true, rejects_table = 'incoming_rejects', rejects_scan = 'incoming_reject_scans'"
    )


_FOUND = re.compile(r"Found: (\d+)")
_LINE = re.compile(r"Line: (\d+)")


def _reject_structural_errors(connection: duckdb.DuckDBPyConnection, path: Path, width: int) -> None:
    """A row DuckDB could not read as `width` fields rejects the whole file, naming the rows
    (as the analyst counts them) and never their content."""
    errors = connection.execute(
        "select line, first(error_type order by column_idx), first(error_message order by column_idx) "
        "from incoming_rejects group by line order by line"
    ).fetchall()
    if not errors:
        return
    ragged = [(line, _FOUND.search(message)) for line, kind, message in errors if kind.endswith("COLUMNS")]
    if len(ragged) == len(errors):
        shown = "; ".join(
            f"row {line} has {found.group(1) if found else 'another number'}" for line, found in ragged[:5]
        )
        raise FileRejected(
            path, "unreadable", f"rows with a different number of fields from the header's {width}: {shown}"
        )
    line, kind, _ = next(error for error in errors if not error[1].endswith("COLUMNS"))
    what = "a quoted value is not closed" if kind == "UNQUOTED VALUE" else kind.lower()
    raise FileRejected(path, "unreadable", f"not a well-formed CSV file (row {line}: {what})")


_RECORD_NUMBERS = """
with split as (select string_split(content, chr(10)) as parts from read_text(?)),
lines as (select unnest(parts) as line, generate_subscripts(parts, 1) as line_number from split),
quoted as (
    select line_number, line,
           coalesce(sum(length(line) - length(replace(line, '"', ''))) over (
               order by line_number rows between unbounded preceding and 1 preceding), 0) as quotes_before
    from lines
),
records as (
    select row_number() over (order by line_number) as record_number, line = '' as blank
    from quoted where quotes_before % 2 = 0
)
select row_number() over (order by record_number) - 1 as ordinal, record_number from records where not blank
"""


def _stage_csv(connection: duckdb.DuckDBPyConnection, path: Path, raw: bytes) -> tuple[list[str], str]:
    if not raw.strip():
        raise FileRejected(path, "empty file", "the file has no header and no rows")
    text, encoding = _decode(path, raw)
    header = _header(path, text)
    with tempfile.TemporaryDirectory(prefix="sendkpi-") as scratch:
        readable = path
        # DuckDB reads UTF-8 with line feeds (its reader given Windows line ends and fixed
        # options miscounts fields): anything else is read from a converted copy.
        if encoding != "utf-8" or b"\r" in raw:
            readable = Path(scratch) / "converted.csv"
            readable.write_text(text.replace("\r\n", "\n").replace("\r", "\n"), encoding="utf-8", newline="")
            raw = readable.read_bytes()
        connection.execute("drop table if exists incoming_rejects; drop table if exists incoming_reject_scans")
        try:
            connection.execute(
                f"create or replace temp table incoming_read as select * from read_csv(?, {_csv_options(len(header))})",
                [str(readable)],
            )
        except duckdb.Error as error:
            line = _LINE.search(str(error))
            where = f" (row {line.group(1)})" if line else ""
            raise FileRejected(path, "unreadable", f"not a well-formed CSV file{where}") from None
        _reject_structural_errors(connection, path, len(header))
        # A new table's row ids follow the file's order and are consecutive (a temporary
        # table's do not start at 0): the ordinal is the record's place, the header is 0.
        # Computed as the rows are staged, not stored in a table of its own (a copy of the file).
        records = "(select rowid - (select min(rowid) from incoming_read) as ordinal, * from incoming_read) as records"
        # DuckDB skips blank lines; Excel shows them as rows: count them back in when present.
        has_blank_lines = raw.lstrip(b"\xef\xbb\xbf").startswith(b"\n") or b"\n\n" in raw
        if has_blank_lines:
            connection.execute(
                f"create or replace temp table incoming_row_numbers as {_RECORD_NUMBERS}", [str(readable)]
            )
            row_number = "numbers.record_number"
            joined = "left join incoming_row_numbers as numbers on numbers.ordinal = records.ordinal"
        else:
            row_number, joined = "records.ordinal + 1", ""
        cells = ", ".join(f"coalesce(trim(records.c{i}, '{_WHITESPACE}'), '') as c{i}" for i in range(len(header)))
        connection.execute(
            f"create or replace temp table {STAGED_TABLE} as select cast({row_number} as integer) as {ROW_NUMBER}, "
            f"{cells} from {records} {joined} where records.ordinal > 0 order by records.ordinal"
        )
    connection.execute("drop table if exists incoming_read; drop table if exists incoming_row_numbers")
    return header, encoding


# --- Excel ---------------------------------------------------------------------------------------


def _other_sheets_with_data(path: Path) -> list[str]:
    """Sheets after the first that hold any value: rows continued there would be lost."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return [
            sheet.title
            for sheet in workbook.worksheets[1:]
            if any(cell is not None and str(cell).strip() for row in sheet.iter_rows(values_only=True) for cell in row)
        ]
    finally:
        workbook.close()


def _stage_xlsx(connection: duckdb.DuckDBPyConnection, path: Path, layouts: list[list[str]]) -> tuple[list[str], str]:
    """The first sheet, from the row holding a documented header: exports often put a
    title and a date above the table. Row numbers stay those Excel shows."""
    try:
        table = read_workbook_rows(path, lambda header: any(set(layout) <= header for layout in layouts))
        if table is None:  # no such header: read from the top, so the columns rule names what is wrong
            table = read_workbook_rows(path, lambda header: True)
    except Exception as error:  # openpyxl raises many types for a damaged workbook
        raise FileRejected(path, "unreadable", f"not a readable .xlsx workbook ({type(error).__name__})") from None
    if table is None:
        raise FileRejected(path, "empty file", "the workbook's first sheet is empty")
    continued = _other_sheets_with_data(path)
    if continued:
        raise FileRejected(
            path,
            "rows on more than one sheet",
            f"sheet {', '.join(repr(name) for name in continued)} holds data too: an extract is one "
            "table on the first sheet (move every row there)",
        )
    header = [str(column) for column in table.columns]
    frame = pd.DataFrame(
        {
            ROW_NUMBER: (table.index.to_numpy() + 1).astype("int32"),
            **{f"c{i}": table.iloc[:, i].fillna("").astype(str) for i in range(len(header))},
        }
    )
    connection.register("incoming_sheet", frame)
    try:
        # Excel date cells come back as '2023-04-01 00:00:00': the time part carries nothing.
        cells = ", ".join(
            f"regexp_replace(trim(c{i}, '{_WHITESPACE}'), ' 00:00:00$', '') as c{i}" for i in range(len(header))
        )
        connection.execute(
            f"create or replace temp table {STAGED_TABLE} as select {ROW_NUMBER}, {cells} from incoming_sheet "
            f"order by {ROW_NUMBER}"
        )
    finally:
        connection.unregister("incoming_sheet")
    return header, "xlsx"


# --- both ------------------------------------------------------------------------------------------


def read_file_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise FileRejected(path, "unreadable", f"the file cannot be read ({error.strerror or error})") from None


def stage_file(
    connection: duckdb.DuckDBPyConnection, path: Path, layouts: list[list[str]], raw: bytes | None = None
) -> StagedFile:
    """Stage a CSV or .xlsx file in `incoming_text`; raise FileRejected for a file-level rule
    (unreadable, empty, ragged rows). `layouts`: the documented headers the file may have
    (a workbook's header row is the first holding one). The header is normalised (lower
    case, spaces to _)."""
    if path.suffix.lower() == ".xlsx":
        header, encoding = _stage_xlsx(connection, path, layouts)
    else:
        header, encoding = _stage_csv(connection, path, read_file_bytes(path) if raw is None else raw)
    rows = connection.execute(f"select count(*) from {STAGED_TABLE}").fetchone()[0]
    return StagedFile([normalise_header(name) for name in header], encoding, rows)


def check_columns(path: Path, found: list[str], expected: list[str]) -> None:
    """File-level rule: exactly the documented columns, in any order, each once."""
    missing = [column for column in expected if column not in found]
    unknown = [column for column in found if column not in expected]
    repeated = sorted({column for column in found if found.count(column) > 1})
    if repeated:
        raise FileRejected(path, "repeated columns", "a column appears more than once", repeated)
    if missing:
        raise FileRejected(path, "missing columns", "required columns are absent", missing)
    if unknown:
        raise FileRejected(path, "unknown columns", "columns not in the documented layout (docs/extracts.md)", unknown)
