"""Bad input through the real CLI, on a copy of a materialised warehouse (issue 11).

One `sendkpi materialise` run receives many kinds of bad input at once, each in its own
extract and quarter, so that one of them stopping the run would show. For each kind the test
asserts the message (file, row, column, rule), that the rows of every load balance (rows in
= loaded + quarantined), which load is current for the quarter, and that the rest of the run
published. A second run replaces a whole extract folder by a file and loads byte-identical
files for two quarters. The expected messages and row numbers are worked out from the files
the test writes, not copied from a run.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipelines.settings import DEMO_PSEUDONYMISATION_KEY
from tests.conftest import PipelineRun, copy_of

pytestmark = pytest.mark.e2e
Q = "2023-24"


@pytest.fixture(scope="module")
def copy_factory(demo_run: PipelineRun, tmp_path_factory: pytest.TempPathFactory):
    def copy() -> Path:
        return copy_of(demo_run, tmp_path_factory.mktemp("bad_input") / "data").data_dir

    return copy


def _materialise(data_dir: Path, **settings: str) -> tuple[int, str, str]:
    """`sendkpi materialise` in this process, its output captured."""
    import contextlib
    import io

    from pipelines.cli import main
    from tests.conftest import environment

    out, err = io.StringIO(), io.StringIO()
    with (
        environment(
            SENDKPI_DATA_DIR=str(data_dir),
            SENDKPI_BENCHMARKS_DIR=str(data_dir / "sample_benchmarks"),
            SENDKPI_HOME_LA="990",
            SENDKPI_PSEUDONYMISATION_KEY=DEMO_PSEUDONYMISATION_KEY,
            SENDKPI_PSEUDONYMISATION_KEY_FILE=None,
            **settings,
        ),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = main(["materialise"])
    return code, out.getvalue(), err.getvalue()


def _sample(raw: Path, extract: str, quarter: str) -> Path:
    return raw / extract / f"{extract}_synthetic_{quarter}.csv"


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _workbook(path: Path, sheets: list[list[list[object]]]) -> None:
    book = openpyxl.Workbook()
    for number, rows in enumerate(sheets):
        sheet = book.active if number == 0 else book.create_sheet(f"Sheet{number + 1}")
        for row in rows:
            sheet.append(row)
    book.save(path)


def _ledger(data_dir: Path) -> dict[str, dict]:
    with duckdb.connect(str(data_dir / "build" / "warehouse_build.duckdb"), read_only=True) as connection:
        frame = connection.execute("select * from raw.load_log").df()
    return {row["file_name"]: row for row in frame.to_dict("records")}


def _quarantine(data_dir: Path, file_name: str) -> list[tuple]:
    with duckdb.connect(str(data_dir / "build" / "warehouse_build.duckdb"), read_only=True) as connection:
        return connection.execute(
            "select q.source_row_number, q.column_name, q.check_name from raw.quarantine q "
            "join raw.load_log l using (load_id) where l.file_name = ? order by 1, 2",
            [file_name],
        ).fetchall()


def _current_file(ledger: dict[str, dict], extract: str, quarter: str) -> str:
    [name] = [
        n
        for n, e in ledger.items()
        if e["extract"] == extract and e["source_period"] == quarter and e["status"] == "current"
    ]
    return name


def _published_summary(data_dir: Path) -> list[dict]:
    with duckdb.connect() as connection:
        return (
            connection.execute(
                "select * from read_parquet(?)", [str(data_dir / "marts" / "extract_load_summary.parquet")]
            )
            .df()
            .to_dict("records")
        )


@pytest.fixture(scope="module")
def bad_run(copy_factory, tmp_path_factory):
    """Write every kind of bad input into a copy of the demo, then run `sendkpi materialise`."""
    data_dir = copy_factory()
    raw = data_dir / "raw"
    outside = tmp_path_factory.mktemp("outside") / f"ehc_requests_{Q}_Q1.csv"
    shutil.copy(_sample(raw, "ehc_requests", f"{Q}_Q1"), outside)
    cases: dict[str, Path] = {}

    # A transfer that stopped at a line end: 151 of the 351 requests of 2023-24 Q4.
    lines = _lines(_sample(raw, "ehc_requests", f"{Q}_Q4"))
    cases["truncated"] = raw / "ehc_requests" / f"ehc_requests_{Q}_Q4_v2.csv"
    cases["truncated"].write_text("\n".join(lines[:152]) + "\n", encoding="utf-8")

    # A workbook whose rows continue on a second sheet (2023-24 Q3: 356 requests).
    lines = _lines(_sample(raw, "ehc_requests", f"{Q}_Q3"))
    rows = [line.split(",") for line in lines]
    cases["second sheet"] = raw / "ehc_requests" / f"ehc_requests_{Q}_Q3_v2.xlsx"
    _workbook(cases["second sheet"], [rows[:176], rows[176:]])

    # Advice 2023-24 Q4 as a workbook whose dates are Excel serial numbers (a number format).
    lines = _lines(_sample(raw, "advice_requests", f"{Q}_Q4"))
    epoch = datetime(1899, 12, 30)

    def serial(text: str) -> object:
        return (datetime.fromisoformat(text) - epoch).days if text else None

    advice = [lines[0].split(",")] + [
        [*r[:3], serial(r[3]), serial(r[4])] for r in (line.split(",") for line in lines[1:])
    ]
    cases["serial dates"] = raw / "advice_requests" / f"advice_requests_{Q}_Q4_v2.xlsx"
    _workbook(cases["serial dates"], [advice])

    # EHC 2023-24 Q2 corrected, with a two-digit year, 9999-12-31 and an age beyond 32 bits.
    lines = _lines(_sample(raw, "ehc_requests", f"{Q}_Q2"))
    bad = {3: (2, "04/05/23"), 5: (8, "99999999999"), 7: (2, "9999-12-31")}  # Excel row: (field, value)
    for row, (field, value) in bad.items():
        cells = lines[row - 1].split(",")
        cells[field] = value
        lines[row - 1] = ",".join(cells)
    cases["bad values"] = raw / "ehc_requests" / f"ehc_requests_{Q}_Q2_v2.csv"
    cases["bad values"].write_text("\n".join(lines) + "\n", encoding="utf-8")

    # A file named with two quarters, and one for a quarter that has not started.
    lines = _lines(_sample(raw, "exclusions", f"{Q}_Q3"))
    cases["two quarters"] = raw / "exclusions" / f"exclusions_{Q}_Q3_{Q}_Q4.csv"
    cases["two quarters"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    cases["future"] = raw / "advice_requests" / "advice_requests_2030-31_Q4.csv"
    cases["future"].write_text("\n".join(_lines(_sample(raw, "advice_requests", f"{Q}_Q4"))) + "\n", encoding="utf-8")

    # CME 2023-24 Q4 saved as "Unicode text" (UTF-16); Q3 with a blank line and a bad row after it.
    text = _sample(raw, "children_missing_education", f"{Q}_Q4").read_text(encoding="utf-8")
    cases["utf-16"] = raw / "children_missing_education" / f"cme_{Q}_Q4_unicode.csv"
    cases["utf-16"].write_bytes(text.encode("utf-16"))
    lines = _lines(_sample(raw, "children_missing_education", f"{Q}_Q3"))
    cells = lines[10].split(",")  # file line 11, Excel row 12 once a blank line is above it
    cells[3] = "lost"  # not a referral reason
    lines[10] = ",".join(cells)
    cases["blank line"] = raw / "children_missing_education" / f"cme_{Q}_Q3_v2.csv"
    cases["blank line"].write_text("\n".join(lines[:5] + [""] + lines[5:]) + "\n", encoding="utf-8")

    # Entries that are no extract file.
    folder = raw / "annual_reviews"
    cases[".xls"] = folder / f"annual_reviews_{Q}_Q4.xls"
    cases[".xls"].write_bytes(b"\xd0\xcf\x11\xe0 an old workbook")
    cases[".txt"] = folder / f"annual_reviews_{Q}_Q4.txt"
    cases[".txt"].write_text("plan_id\tchild_id\n", encoding="utf-8")
    cases["hidden"] = folder / f".annual_reviews_{Q}_Q4.csv"
    cases["hidden"].write_text("x\n", encoding="utf-8")
    cases["dangling link"] = folder / f"annual_reviews_{Q}_Q3_link.csv"
    cases["dangling link"].symlink_to(folder / "does-not-exist.csv")
    cases["folder like a file"] = folder / f"annual_reviews_{Q}_Q2.csv.d"
    cases["folder like a file"].mkdir()
    cases["link outside raw"] = raw / "ehc_requests" / f"ehc_requests_{Q}_Q1_linked.csv"
    cases["link outside raw"].symlink_to(outside)
    return data_dir, cases


@pytest.fixture(scope="module")
def bad_run_result(bad_run):
    data_dir, cases = bad_run
    code, out, err = _materialise(data_dir)
    return data_dir, cases, code, out, err, _ledger(data_dir)


def test_the_run_published_despite_every_bad_input(bad_run_result):
    data_dir, _, code, out, err, _ = bad_run_result
    assert code == 0, err
    assert "Published set " in out
    report = Path(out.split("Run report: ")[1].strip()).read_text()
    assert "**Published.**" in report


def test_every_load_balances(bad_run_result):
    *_, ledger = bad_run_result
    for name, entry in ledger.items():
        if entry["status"] != "rejected":
            assert entry["rows_in_file"] == entry["rows_loaded"] + entry["rows_quarantined"], name


def test_a_truncated_replacement_is_held_back(bad_run_result):
    data_dir, cases, *_, ledger = bad_run_result
    entry = ledger[cases["truncated"].name]
    assert (entry["status"], entry["rows_in_file"], entry["rows_loaded"]) == ("held", 151, 151)
    assert "drop 57% of the cases" in entry["message"] and "sendkpi accept" in entry["message"]
    assert _current_file(ledger, "ehc_requests", f"{Q}_Q4") == f"ehc_requests_synthetic_{Q}_Q4.csv"


def test_a_workbook_continued_on_a_second_sheet_is_rejected(bad_run_result):
    data_dir, cases, *_, ledger = bad_run_result
    entry = ledger[cases["second sheet"].name]
    assert entry["status"] == "rejected"
    assert entry["message"].startswith(f"{cases['second sheet']}: rejected (rows on more than one sheet)")
    assert "'Sheet2'" in entry["message"]
    assert _current_file(ledger, "ehc_requests", f"{Q}_Q3") == f"ehc_requests_synthetic_{Q}_Q3.csv"


def test_excel_serial_dates_are_named_and_the_file_held_back(bad_run_result):
    data_dir, cases, *_, ledger = bad_run_result
    entry = ledger[cases["serial dates"].name]
    assert entry["status"] == "held"
    assert (entry["rows_loaded"], entry["rows_quarantined"]) == (0, entry["rows_in_file"])
    rules = {
        rule
        for _, column, rule in _quarantine(data_dir, cases["serial dates"].name)
        if column == "advice_requested_date"
    }
    assert rules == {"type: a date (YYYY-MM-DD or DD/MM/YYYY), not an Excel serial number: format the column as dates"}
    assert _current_file(ledger, "advice_requests", f"{Q}_Q4") == f"advice_requests_synthetic_{Q}_Q4.csv"


def test_bad_values_reject_their_rows_and_the_rest_loads(bad_run_result):
    data_dir, cases, *_, ledger = bad_run_result
    entry = ledger[cases["bad values"].name]
    assert entry["status"] == "current"
    assert _quarantine(data_dir, cases["bad values"].name) == [
        (3, "request_received_date", "type: a date (YYYY-MM-DD or DD/MM/YYYY)"),
        (5, "age_at_request", "type: a whole number"),
        (7, "request_received_date", "type: a date from 1900 to 2099"),
    ]
    assert (entry["rows_loaded"], entry["rows_quarantined"]) == (entry["rows_in_file"] - 3, 3)


@pytest.mark.parametrize(
    ("case", "rule"),
    [
        ("two quarters", "two periods in file name"),
        ("future", "quarter in the future"),
        (".xls", "not a CSV or .xlsx file"),
        (".txt", "not a CSV or .xlsx file"),
        ("dangling link", "broken link"),
        ("link outside raw", "link outside raw/"),
    ],
)
def test_files_that_cannot_be_loaded_are_rejected_with_their_rule(bad_run_result, case, rule):
    data_dir, cases, *_, ledger = bad_run_result
    entry = ledger[cases[case].name]
    assert entry["status"] == "rejected"
    assert entry["message"].startswith(f"{cases[case]}: rejected ({rule})")
    published = {row["file_name"]: row["message"] for row in _published_summary(data_dir)}
    relative = str(cases[case].relative_to(data_dir))
    assert published[cases[case].name].startswith(f"{relative}: rejected ({rule})")
    assert str(data_dir) not in published[cases[case].name]


@pytest.mark.parametrize("case", ["hidden", "folder like a file"])
def test_entries_that_are_not_files_are_reported_as_ignored(bad_run_result, case):
    data_dir, cases, _, out, *_ = bad_run_result
    report = Path(out.split("Run report: ")[1].strip()).read_text()
    [line] = [line for line in report.splitlines() if f"| {cases[case].name} |" in line]
    assert "| ignored |" in line


def test_utf16_is_read_and_named(bad_run_result):
    data_dir, cases, *_, ledger = bad_run_result
    entry = ledger[cases["utf-16"].name]
    assert entry["status"] == "current" and entry["encoding"] == "utf-16"
    assert entry["message"].endswith("; read as utf-16")
    original = ledger[f"children_missing_education_synthetic_{Q}_Q4.csv"]
    assert (entry["rows_loaded"], entry["rows_quarantined"]) == (original["rows_loaded"], 0)


def test_row_numbers_after_a_blank_line_are_those_excel_shows(bad_run_result):
    data_dir, cases, *_, ledger = bad_run_result
    assert _quarantine(data_dir, cases["blank line"].name) == [
        (
            12,
            "referral_reason",
            "isin(['not_registered', 'removed_from_roll', 'moved_address_unknown', 'not_attending', 'other'])",
        ),
    ]


def test_the_published_summary_names_no_server_path(bad_run_result):
    data_dir, *_ = bad_run_result
    for row in _published_summary(data_dir):
        assert str(data_dir) not in (row["message"] or ""), row["file_name"]


# --- a second run: an extract folder replaced by a file; identical files for two quarters --------------


def _full_disk(folder: Path) -> bool:
    """Mount a tiny file system on `folder` and fill it (root only); False when not allowed."""
    import subprocess

    folder.mkdir(parents=True, exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True).returncode:
        return False
    try:
        (folder / "filler").write_bytes(b"x" * 1024 * 1024)
    except OSError:
        pass  # the disk is full now
    return True


@pytest.fixture(scope="module")
def second_run(copy_factory):
    import subprocess

    data_dir = copy_factory()
    # The run reports' folder is a full disk: the CLI must say so and not crash.
    full_disk = _full_disk(data_dir / "run_reports")
    raw = data_dir / "raw"
    shutil.rmtree(raw / "children_missing_education")
    (raw / "children_missing_education").write_text("case_id,child_id\n", encoding="utf-8")
    # The same bytes for 2023-24 Q3 and Q4: requests received on 1 October 2023, none decided.
    rows = [f"REQ-TWIN-{n:03d},CHILD-TWIN-{n:03d},2023-10-01,,,,,,{n % 20},ASD" for n in range(40)]
    text = "\n".join([",".join(_lines(_sample(raw, "ehc_requests", f"{Q}_Q4"))[0].split(",")), *rows]) + "\n"
    for quarter in ("Q3", "Q4"):
        _sample(raw, "ehc_requests", f"{Q}_{quarter}").unlink()
        (raw / "ehc_requests" / f"ehc_requests_{Q}_{quarter}_twin.csv").write_text(text, encoding="utf-8")
    try:
        code, out, err = _materialise(data_dir, SENDKPI_MAX_CASE_LOSS_PCT="100")
    finally:
        if full_disk:
            subprocess.run(["umount", str(data_dir / "run_reports")], check=True)
    return data_dir, code, out, err, _ledger(data_dir), full_disk


def test_an_extract_folder_replaced_by_a_file_is_rejected_and_its_quarters_stay(second_run):
    data_dir, code, out, err, ledger, _ = second_run
    assert code == 0, err
    entry = ledger["children_missing_education"]
    assert entry["status"] == "rejected" and "(not a folder)" in entry["message"]
    assert (
        _current_file(ledger, "children_missing_education", f"{Q}_Q4")
        == f"children_missing_education_synthetic_{Q}_Q4.csv"
    )


def test_byte_identical_files_for_two_quarters_both_have_figures(second_run):
    data_dir, code, *_ = second_run
    assert code == 0
    twins = [
        row
        for row in _published_summary(data_dir)
        if row["file_name"].endswith("_twin.csv") and row["status"] == "current"
    ]
    assert sorted(row["source_period"] for row in twins) == [f"{Q}_Q3", f"{Q}_Q4"]
    assert len({row["file_sha256"] for row in twins}) == 1
    assert [row["rows_loaded"] for row in twins] == [40, 40]


def test_a_full_disk_for_the_run_report_is_said_and_the_run_stands(second_run):
    data_dir, code, out, err, _, full_disk = second_run
    if not full_disk:
        pytest.skip("mounting a small file system needs root here")
    assert code == 0 and "Published set " in out
    assert "The run report could not be written: not written (No space left on device" in err
    assert "Run report: not written (No space left on device" in out
