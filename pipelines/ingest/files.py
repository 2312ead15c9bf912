"""Reading an extract file as text, and the file-level rules that reject a file whole."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.ingest.dfe_workbooks import read_workbook_rows

EXTRACT_SUFFIXES = (".csv", ".xlsx")
# The first data row is row 2: row 1 is the header, as an analyst sees it in Excel.
FIRST_DATA_ROW = 2
ROW_NUMBER = "source_row_number"


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
class TextFrame:
    """Every cell as stripped text ('' when empty), in file order, with its row number."""

    frame: pd.DataFrame
    encoding: str
    # Row numbers as the analyst sees them; None: consecutive from FIRST_DATA_ROW.
    row_numbers: object = None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def list_extract_files(folder: Path) -> list[Path]:
    """Data files in an extract folder; hidden files and Excel lock files are not extracts."""
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file()
        and path.suffix.lower() in EXTRACT_SUFFIXES
        and not path.name.startswith((".", "~$"))
    )


def _decode(path: Path, raw: bytes) -> tuple[str, str]:
    """UTF-8 (with or without a byte-order mark), else Windows-1252 as Excel on Windows saves."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as error:
        raise FileRejected(path, "unreadable", f"neither UTF-8 nor Windows-1252 text ({error})") from None


def _read_csv(path: Path) -> TextFrame:
    """Parse strictly: every row must have as many fields as the header (pandas would pad a
    short row and shift a long first row into the index without a word)."""
    raw = path.read_bytes()
    if not raw.strip():
        raise FileRejected(path, "empty file", "the file has no header and no rows")
    text, encoding = _decode(path, raw)
    try:
        # A blank line (often the last) has no fields and is not a row.
        rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    except csv.Error as error:
        raise FileRejected(path, "unreadable", f"not a well-formed CSV file ({error})") from None
    header, records = rows[0], rows[1:]
    ragged = [
        (number, len(record))
        for number, record in enumerate(records, start=FIRST_DATA_ROW)
        if len(record) != len(header)
    ]
    if ragged:
        shown = "; ".join(f"row {number} has {count}" for number, count in ragged[:5])
        raise FileRejected(
            path, "unreadable", f"rows with a different number of fields from the header's {len(header)}: {shown}"
        )
    return TextFrame(pd.DataFrame(records, columns=header, dtype=str), encoding)


def _read_xlsx(path: Path, expected: list[str]) -> TextFrame:
    """The first sheet, from the row holding the documented header: exports often put a
    title and a date above the table. Row numbers stay those Excel shows."""
    try:
        table = read_workbook_rows(path, lambda header: set(expected) <= header)
        if table is None:  # no such header: read from the top, so the columns rule names what is wrong
            table = read_workbook_rows(path, lambda header: True)
    except Exception as error:  # openpyxl raises many types for a damaged workbook
        raise FileRejected(path, "unreadable", f"not a readable .xlsx workbook ({error})") from None
    if table is None:
        raise FileRejected(path, "empty file", "the workbook's first sheet is empty")
    row_numbers = table.index.to_numpy() + 1
    table = table.fillna("").reset_index(drop=True)
    # Excel date cells come back as '2023-04-01 00:00:00': the time part carries nothing.
    table = table.apply(lambda column: column.str.replace(r" 00:00:00$", "", regex=True))
    return TextFrame(table, "xlsx", row_numbers)


def normalise_header(name: object) -> str:
    return str(name).strip().lower().replace(" ", "_")


def read_text_frame(path: Path, expected: list[str]) -> TextFrame:
    """Read a CSV or .xlsx extract with every cell as text; no value is interpreted here."""
    table = _read_xlsx(path, expected) if path.suffix.lower() == ".xlsx" else _read_csv(path)
    frame = table.frame
    frame.columns = [normalise_header(column) for column in frame.columns]
    frame = frame.apply(lambda column: column.str.strip())
    frame[ROW_NUMBER] = (
        range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame)) if table.row_numbers is None else table.row_numbers
    )
    return TextFrame(frame, table.encoding)


def check_columns(path: Path, found: list[str], expected: list[str]) -> None:
    """File-level rule: exactly the documented columns, in any order, each once.

    (The Excel reader renames a repeated header `decision.1`: that is an unknown column.)
    """
    missing = [column for column in expected if column not in found]
    unknown = [column for column in found if column not in expected]
    repeated = sorted({column for column in found if found.count(column) > 1})
    if repeated:
        raise FileRejected(path, "repeated columns", "a column appears more than once", repeated)
    if missing:
        raise FileRejected(path, "missing columns", "required columns are absent", missing)
    if unknown:
        raise FileRejected(
            path, "unknown columns", "columns not in the documented layout (docs/extracts.md)", unknown
        )
