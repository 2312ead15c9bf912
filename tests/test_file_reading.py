"""Reading files: encodings, row numbers, names, awkward values, and the drop zone's other
entries, through the loader on hand-made files (the bad-input suite runs the same kinds
through the CLI: tests/test_bad_input.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipelines.ingest.drop_zone import survey
from pipelines.ingest.extracts import load_extract_folder
from pipelines.warehouse import in_transaction
from schemas import EXTRACTS
from tests.extract_helpers import KEY, Q2, load, load_log, quarantine_rows, write_csv

HEADER = (
    "request_id,child_id,request_received_date,decision_date,decision,assessment_outcome,"
    "assessment_outcome_date,exception_reason,age_at_request,primary_need"
)
GOOD = [f"REQ-{n:04d},CHILD-{n:04d},2023-07-{n + 1:02d},,,,,,7,ASD" for n in range(1, 9)]


def _file(folder: Path, lines: list[str], name: str = f"ehc_requests_{Q2}.csv") -> Path:
    return write_csv(folder / "ehc_requests", name, lines)


def test_row_numbers_count_blank_lines_as_excel_shows_them(tmp_path, warehouse):
    bad = "REQ-0099,CHILD-0099,2023-07-03,,,,,,abc,ASD"
    # Excel rows: 1 header, 2 blank, 3-4 good, 5 blank, 6 blank, 7 bad, 8 a quoted value over two lines, 9 bad
    lines = [
        HEADER,
        "",
        GOOD[0],
        GOOD[1],
        "",
        "",
        bad,
        'REQ-0100,CHILD-0100,2023-07-05,,,,,,7,"AS\nD"',
        bad.replace("99", "98"),
    ]
    path = _file(tmp_path, lines)

    outcome = load(warehouse, "ehc_requests", path)

    assert [(row[0], row[1]) for row in quarantine_rows(warehouse)] == [
        (7, "age_at_request"),
        (8, "primary_need"),
        (9, "age_at_request"),
    ]
    assert (outcome.rows_in_file, outcome.rows_loaded) == (5, 2)
    assert [
        r[0] for r in warehouse.execute("select source_row_number from raw.ehc_requests order by 1").fetchall()
    ] == [3, 4]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_files_are_read_and_named(tmp_path, warehouse, encoding):
    path = tmp_path / "ehc_requests" / f"ehc_requests_{Q2}.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes("\r\n".join([HEADER, *GOOD[:3], "REQ-£001,CHILD-£001,2023-07-09,,,,,,7,ASD"]).encode(encoding))

    outcome = load(warehouse, "ehc_requests", path)

    assert outcome.status == "loaded"
    assert outcome.message == "loaded 4 of 4 rows, quarantined 0; read as utf-16"
    assert load_log(warehouse)[0]["encoding"] == "utf-16"


@pytest.mark.parametrize(
    ("value", "column", "rule"),
    [
        ("04/05/23", "request_received_date", "type: a date (YYYY-MM-DD or DD/MM/YYYY)"),
        ("9999-12-31", "request_received_date", "type: a date from 1900 to 2099"),
        ("1066-10-14", "request_received_date", "type: a date from 1900 to 2099"),
        (
            "45110",
            "request_received_date",
            "type: a date (YYYY-MM-DD or DD/MM/YYYY), not an Excel serial number: format the column as dates",
        ),
        ("99999999999", "age_at_request", "type: a whole number"),
        ("123456789012345678901234567890", "age_at_request", "type: a whole number"),
        ("2147483648", "age_at_request", "type: a whole number"),
        ("2147483647", "age_at_request", "in_range(0, 25)"),
    ],
)
def test_an_impossible_value_quarantines_its_row_and_the_rest_loads(tmp_path, warehouse, value, column, rule):
    cells = GOOD[0].replace("REQ-0001", "REQ-0050").split(",")
    cells[{"request_received_date": 2, "age_at_request": 8}[column]] = value
    path = _file(tmp_path, [HEADER, *GOOD[:3], ",".join(cells)])

    outcome = load(warehouse, "ehc_requests", path)

    assert quarantine_rows(warehouse) == [(5, column, rule, value)]
    assert (outcome.status, outcome.rows_loaded, outcome.rows_quarantined) == ("loaded", 3, 1)


@pytest.mark.parametrize(
    ("name", "rule", "detail"),
    [
        (f"ehc_requests_{Q2}_2023-24_Q3.csv", "two periods in file name", "2023-24_Q2 and 2023-24_Q3"),
        ("ehc_requests_2030-31_Q4.csv", "quarter in the future", "2030-31_Q4 has not started yet"),
    ],
)
def test_a_name_with_two_quarters_or_a_future_one_is_rejected(tmp_path, warehouse, name, rule, detail):
    path = _file(tmp_path, [HEADER, *GOOD], name=name)

    [outcome] = load_extract_folder(warehouse, EXTRACTS["ehc_requests"], path.parent, KEY)

    assert outcome.status == "rejected"
    assert outcome.message.startswith(f"{path}: rejected ({rule})") and detail in outcome.message
    assert warehouse.execute("select count(*) from raw.ehc_requests").fetchone() == (0,)


def test_the_same_quarter_twice_in_a_name_is_one_quarter(tmp_path, warehouse):
    path = _file(tmp_path, [HEADER, *GOOD], name=f"ehc_requests_{Q2} (copy of {Q2}).csv")

    assert load(warehouse, "ehc_requests", path).status == "loaded"


def test_an_unreadable_file_is_rejected_and_the_rest_load(tmp_path, warehouse, monkeypatch):
    unreadable = _file(tmp_path, [HEADER, *GOOD])
    readable = _file(tmp_path, [HEADER, *GOOD], name="ehc_requests_2023-24_Q3.csv")
    original = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        if path == unreadable:
            raise PermissionError(13, "Permission denied", str(path))
        return original(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    outcomes = {
        o.path.name: o for o in load_extract_folder(warehouse, EXTRACTS["ehc_requests"], unreadable.parent, KEY)
    }

    assert outcomes[unreadable.name].status == "rejected"
    assert "rejected (unreadable): the file cannot be read (Permission denied)" in outcomes[unreadable.name].message
    assert outcomes[readable.name].status == "loaded"


def test_a_data_folder_whose_path_has_a_quote_loads(tmp_path, warehouse):
    folder = tmp_path / "O'Brien's data" / "raw"
    path = _file(folder, [HEADER, *GOOD, ""] + ["REQ-0077,CHILD-0077,2023-07-03,,,,,,x,ASD"])

    outcome = load(warehouse, "ehc_requests", path)

    assert (outcome.status, outcome.rows_loaded, outcome.rows_quarantined) == ("loaded", 8, 1)
    assert warehouse.execute("select file_path from raw.quarantine").fetchone() == (str(path),)


def _workbook(path: Path, sheets: list[list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    for number, rows in enumerate(sheets):
        sheet = book.active if number == 0 else book.create_sheet(f"More {number}")
        for row in rows:
            sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def test_a_workbook_with_rows_on_a_second_sheet_is_rejected(tmp_path, warehouse):
    rows = [line.split(",") for line in [HEADER, *GOOD]]
    path = _workbook(tmp_path / "ehc_requests" / f"ehc_requests_{Q2}.xlsx", [rows[:5], rows[5:]])

    outcome = load(warehouse, "ehc_requests", path)

    assert outcome.status == "rejected"
    assert outcome.message.startswith(f"{path}: rejected (rows on more than one sheet): sheet 'More 1' holds data too")


def test_an_empty_second_sheet_is_no_problem(tmp_path, warehouse):
    rows = [line.split(",") for line in [HEADER, *GOOD]]
    path = _workbook(tmp_path / "ehc_requests" / f"ehc_requests_{Q2}.xlsx", [rows, [[None, "  "]]])

    assert load(warehouse, "ehc_requests", path).rows_loaded == 8


def test_every_entry_of_the_drop_zone_is_read_rejected_or_ignored(tmp_path):
    raw = tmp_path / "raw"
    good = _file(raw, [HEADER, *GOOD])
    folder = good.parent
    outside = write_csv(tmp_path / "elsewhere", f"ehc_requests_{Q2}.csv", [HEADER, *GOOD])
    (folder / f"ehc_requests_{Q2}.xls").write_bytes(b"old")
    (folder / f"ehc_requests_{Q2}.txt").write_text("x")
    (folder / ".gitkeep").write_text("")
    (folder / "~$ehc_requests.xlsx").write_text("")
    (folder / f"ehc_requests_{Q2}.csv.d").mkdir()
    (folder / "gone.csv").symlink_to(folder / "missing.csv")
    (folder / "elsewhere.csv").symlink_to(outside)
    (folder / "inside.csv").symlink_to(good)
    (raw / "advice_requests").write_text("not a folder")
    (raw / "ehc_request").mkdir()  # a typo
    (raw / "notes.txt").write_text("")

    found = survey(raw)

    assert found.files["ehc_requests"] == [folder / f"ehc_requests_{Q2}.csv", folder / "inside.csv"]
    reasons = {notice.path.name: (notice.rule, notice.reason) for notice in found.notices}
    assert reasons[f"ehc_requests_{Q2}.xls"] == (
        "not a CSV or .xlsx file",
        "an old Excel workbook (.xls): save it as .xlsx or CSV",
    )
    assert reasons[f"ehc_requests_{Q2}.txt"][0] == "not a CSV or .xlsx file"
    assert reasons[".gitkeep"] == (None, "a hidden file: ignored")
    assert reasons["~$ehc_requests.xlsx"][0] is None
    assert (
        reasons[f"ehc_requests_{Q2}.csv.d"][0] is None
        and "sub-folders are not read" in reasons[f"ehc_requests_{Q2}.csv.d"][1]
    )
    assert reasons["gone.csv"][0] == "broken link"
    assert reasons["elsewhere.csv"][0] == "link outside raw/"
    assert reasons["advice_requests"][0] == "not a folder"
    assert reasons["ehc_request"][0] is None and "not an extract or returns folder" in reasons["ehc_request"][1]
    assert reasons["notes.txt"][0] is None
    listed = {p.name for files in found.files.values() for p in files} | set(reasons)
    assert listed >= {p.name for p in folder.iterdir()} | {p.name for p in raw.iterdir()} - {"ehc_requests"}


@pytest.mark.parametrize(
    ("name", "code", "said"),
    [
        (f"ehc_requests_{Q2}.txt", 1, "rejected: not a CSV or .xlsx file (.txt)"),
        (f"ehc_requests_{Q2}.csv.d", 2, "not loaded: a folder"),
    ],
)
def test_validate_says_what_a_run_would_do_with_a_text_file_or_a_folder(
    tmp_path, monkeypatch, capsys, name, code, said
):
    from pipelines.cli import main

    path = tmp_path / "raw" / "ehc_requests" / name
    path.parent.mkdir(parents=True)
    if name.endswith(".d"):
        path.mkdir()
    else:
        path.write_text(HEADER + "\n" + GOOD[0] + "\n")
    monkeypatch.setenv("SENDKPI_PSEUDONYMISATION_KEY", KEY)
    monkeypatch.setenv("SENDKPI_DATA_DIR", str(tmp_path))

    assert main(["validate", str(path)]) == code
    assert said in capsys.readouterr().out


def test_a_failed_rollback_does_not_hide_why_the_work_failed():
    connection = duckdb.connect()

    def work():
        connection.execute("rollback")  # the transaction is gone: the rollback after this fails too
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left on device") as caught:
        in_transaction(connection, work)
    assert any("rollback then failed too" in note for note in caught.value.__notes__)


def test_dates_on_the_boundaries_of_the_accepted_range_load(tmp_path, warehouse):
    rows = ["REQ-0001,CHILD-0001,1900-01-01,1900-01-02,not_assess,,,,7,ASD"]
    path = _file(tmp_path, [HEADER, *rows], name="ehc_requests_1999-00_Q4.csv")

    outcome = load(warehouse, "ehc_requests", path)

    # 1900-01-01 is a date (it passes the type rule); the case closed long before the quarter.
    assert [(r[1], r[2]) for r in quarantine_rows(warehouse)] == [
        ("request_received_date", "request_received_date case closed before the file's quarter started")
    ]
    assert outcome.rows_in_file == 1
    assert warehouse.execute("select original_value from raw.quarantine").fetchone() == ("1900-01-01",)


def test_the_published_message_names_no_unknown_header_and_no_server_path(tmp_path, warehouse):
    from pipelines.ingest.extracts import load_extract_file

    # An export with an extra column whose header is a child's name, and a column missing.
    header = HEADER.replace("primary_need", "Jane Smith")
    path = _file(tmp_path / "data" / "raw", [header, *GOOD])

    outcome = load_extract_file(warehouse, EXTRACTS["ehc_requests"], path, KEY, data_dir=tmp_path / "data")

    [(message, public)] = warehouse.execute("select message, public_message from raw.load_log").fetchall()
    assert outcome.status == "rejected" and message == outcome.message
    assert message == f"{path}: rejected (missing columns): required columns are absent. Columns: primary_need."
    assert (
        public == f"raw/ehc_requests/{path.name}: rejected (missing columns): required columns are absent. "
        "Columns: primary_need."
    )
    unknown = _file(
        tmp_path / "data" / "raw",
        [HEADER + ",Jane Smith", *(row + ",x" for row in GOOD)],
        name="ehc_requests_2023-24_Q3.csv",
    )
    load_extract_file(warehouse, EXTRACTS["ehc_requests"], unknown, KEY, data_dir=tmp_path / "data")
    [(message, public)] = warehouse.execute(
        "select message, public_message from raw.load_log where file_name = ?", [unknown.name]
    ).fetchall()
    assert message.endswith("Columns: jane_smith.")
    assert public == (
        f"raw/ehc_requests/{unknown.name}: rejected (unknown columns): columns not in the documented "
        "layout (docs/extracts.md). Columns: 1 not documented (not shown)."
    )
    assert "jane" not in public.lower() and str(tmp_path) not in public
