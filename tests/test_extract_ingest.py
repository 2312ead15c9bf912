"""Loading quarterly extracts: file-level rejections, row quarantine, identifiers, load history.

Every file here is hand-made with exactly the rows a test needs, written into
tmp_path/<extract>/<name with the period>, and loaded into a DuckDB file in tmp_path.
Expected outcomes are worked out from docs/extracts.md, not copied from a run.
The quarter used throughout is 2023-24_Q2: 1 July 2023 to 30 September 2023.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.ingest.extracts import FileOutcome, load_extract_folder
from pipelines.ingest.keys import pseudonymisation_key
from pipelines.settings import Settings, SettingsError
from pipelines.warehouse import ensure_raw_tables
from schemas import EXTRACTS
from tests.extract_helpers import (
    KEY,
    Q2,
    count,
    load,
    load_log,
    loaded_row_numbers,
    pseudonym,
    quarantine_rows,
    write_csv,
)

EHC_HEADER = [
    "request_id",
    "child_id",
    "request_received_date",
    "decision_date",
    "decision",
    "assessment_outcome",
    "assessment_outcome_date",
    "exception_reason",
    "age_at_request",
    "primary_need",
]
ADVICE_HEADER = [
    "advice_request_id",
    "request_id",
    "advice_type",
    "advice_requested_date",
    "advice_received_date",
]
HEADERS = {"ehc_requests": EHC_HEADER, "advice_requests": ADVICE_HEADER}

# One good row per extract, open during 2023-24 Q2, and a second good row (a different id).
GOOD = {
    "ehc_requests": ["REQ-0001,CHILD-0001,2023-07-03,,,,,,7,ASD", "REQ-0002,CHILD-0002,2023-07-04,,,,,,12,SEMH"],
    "advice_requests": ["ADV-0001,REQ-0001,health,2023-07-03,2023-07-20", "ADV-0002,REQ-0002,social_care,2023-07-04,"],
}


# --- helpers -------------------------------------------------------------------------------


def extract_file(
    tmp_path: Path, extract: str, rows: list[str], name: str | None = None, header: list[str] | None = None
) -> Path:
    header_line = ",".join(HEADERS[extract] if header is None else header)
    return write_csv(tmp_path / extract, name or f"{extract}_{Q2}.csv", [header_line, *rows])


def every_stored_value(connection: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    frame = connection.execute(f"select * from {table}").df()
    return {str(value) for value in frame.to_numpy().ravel() if value is not None}


# --- file-level rejections -------------------------------------------------------------------


def _assert_rejected_whole(
    connection, extract: str, path: Path, outcome: FileOutcome, rule: str, period: str | None
) -> None:
    assert outcome.status == "rejected"
    assert str(path) in outcome.message
    assert f"rejected ({rule})" in outcome.message
    assert outcome.rows_loaded == 0 and outcome.rows_quarantined == 0
    assert count(connection, f"raw.{extract}") == 0
    assert count(connection, "raw.quarantine") == 0
    [entry] = load_log(connection)
    assert entry["status"] == "rejected"
    assert entry["extract"] == extract
    assert entry["file_name"] == path.name
    assert entry["message"] == outcome.message
    assert (entry["source_period"] if isinstance(entry["source_period"], str) else None) == period


@pytest.mark.parametrize(
    ("extract", "dropped"),
    [("ehc_requests", "age_at_request"), ("advice_requests", "advice_type")],
)
def test_missing_column_rejects_the_file_naming_the_column(tmp_path, warehouse, extract, dropped):
    header = [c for c in HEADERS[extract] if c != dropped]
    position = HEADERS[extract].index(dropped)
    rows = [",".join(v for i, v in enumerate(row.split(",")) if i != position) for row in GOOD[extract]]
    path = extract_file(tmp_path, extract, rows, header=header)

    outcome = load(warehouse, extract, path)

    _assert_rejected_whole(warehouse, extract, path, outcome, "missing columns", Q2)
    assert outcome.message.endswith(f"Columns: {dropped}.")


@pytest.mark.parametrize("extract", ["ehc_requests", "advice_requests"])
def test_unknown_extra_column_rejects_the_file_naming_the_column(tmp_path, warehouse, extract):
    rows = [row + ",a note" for row in GOOD[extract]]
    path = extract_file(tmp_path, extract, rows, header=[*HEADERS[extract], "notes"])

    outcome = load(warehouse, extract, path)

    _assert_rejected_whole(warehouse, extract, path, outcome, "unknown columns", Q2)
    assert "docs/extracts.md" in outcome.message
    assert outcome.message.endswith("Columns: notes.")


def test_repeated_header_is_rejected_naming_the_column(tmp_path, warehouse):
    header = [*EHC_HEADER, "decision"]
    path = extract_file(tmp_path, "ehc_requests", [row + "," for row in GOOD["ehc_requests"]], header=header)

    outcome = load(warehouse, "ehc_requests", path)

    _assert_rejected_whole(warehouse, "ehc_requests", path, outcome, "repeated columns", Q2)
    assert "Columns: decision." in outcome.message


@pytest.mark.parametrize("extract", ["ehc_requests", "advice_requests"])
def test_zero_byte_file_is_rejected_as_empty(tmp_path, warehouse, extract):
    path = tmp_path / extract / f"{extract}_{Q2}.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")

    outcome = load(warehouse, extract, path)

    _assert_rejected_whole(warehouse, extract, path, outcome, "empty file", Q2)


@pytest.mark.parametrize("extract", ["ehc_requests", "advice_requests"])
def test_header_without_rows_is_rejected(tmp_path, warehouse, extract):
    path = extract_file(tmp_path, extract, [])

    outcome = load(warehouse, extract, path)

    _assert_rejected_whole(warehouse, extract, path, outcome, "no rows", Q2)
    assert "header but no data rows" in outcome.message


@pytest.mark.parametrize("extract", ["ehc_requests", "advice_requests"])
def test_row_with_too_many_fields_makes_the_file_unreadable(tmp_path, warehouse, extract):
    rows = [GOOD[extract][0], GOOD[extract][1] + ",surplus"]
    path = extract_file(tmp_path, extract, rows)

    outcome = load(warehouse, extract, path)

    _assert_rejected_whole(warehouse, extract, path, outcome, "unreadable", Q2)
    # The header is row 1, as the analyst sees it in Excel: the bad row is row 3.
    expected_fields = len(GOOD[extract][0].split(","))
    assert f"header's {expected_fields}: row 3 has {expected_fields + 1}" in outcome.message


@pytest.mark.parametrize("extract", ["ehc_requests", "advice_requests"])
def test_unterminated_quote_makes_the_file_unreadable(tmp_path, warehouse, extract):
    first = GOOD[extract][0].split(",")
    first[2] = '"' + first[2]
    path = extract_file(tmp_path, extract, [",".join(first), GOOD[extract][1]])

    outcome = load(warehouse, extract, path)

    _assert_rejected_whole(warehouse, extract, path, outcome, "unreadable", Q2)


@pytest.mark.parametrize("extract", ["ehc_requests", "advice_requests"])
def test_first_row_with_one_field_too_many_is_rejected(tmp_path, warehouse, extract):
    rows = [GOOD[extract][0] + ",surplus", GOOD[extract][1]]
    path = extract_file(tmp_path, extract, rows)

    outcome = load(warehouse, extract, path)

    _assert_rejected_whole(warehouse, extract, path, outcome, "unreadable", Q2)


@pytest.mark.parametrize("extract", ["ehc_requests", "advice_requests"])
def test_row_with_too_few_fields_is_rejected(tmp_path, warehouse, extract):
    short = GOOD[extract][0].rsplit(",", 1)[0]  # the last field (and its comma) is missing
    path = extract_file(tmp_path, extract, [short, GOOD[extract][1]])

    outcome = load(warehouse, extract, path)

    _assert_rejected_whole(warehouse, extract, path, outcome, "unreadable", Q2)


@pytest.mark.parametrize("extract", ["ehc_requests", "advice_requests"])
@pytest.mark.parametrize("name", ["{extract}.csv", "{extract}_2023-25_Q2.csv", "{extract}_2023-24_Q5.csv"])
def test_file_name_without_a_valid_period_is_rejected(tmp_path, warehouse, extract, name):
    path = extract_file(tmp_path, extract, GOOD[extract], name=name.format(extract=extract))

    outcome = load(warehouse, extract, path)

    _assert_rejected_whole(warehouse, extract, path, outcome, "no period in file name", None)
    assert "2023-24_Q2" in outcome.message  # says what a period looks like


def test_file_rejected_for_its_name_loads_once_renamed(tmp_path, warehouse):
    path = extract_file(tmp_path, "advice_requests", GOOD["advice_requests"], name="advice_requests_latest.csv")
    assert load(warehouse, "advice_requests", path).status == "rejected"
    renamed = path.rename(path.with_name(f"advice_requests_{Q2}.csv"))

    outcome = load(warehouse, "advice_requests", renamed)

    assert outcome.status == "loaded"
    assert count(warehouse, "raw.advice_requests") == 2


# --- row-level quarantine --------------------------------------------------------------------

# (extract, bad row placed at file row 3 between two good rows, expected quarantine rows)
# Each expected row: (source_row_number, column_name, check_name substring, original_value).
ROW_CASES = {
    "impossible date": (
        "ehc_requests",
        "REQ-0009,CHILD-0009,2023-02-30,,,,,,7,ASD",
        [(3, "request_received_date", "type: a date", "2023-02-30")],
    ),
    "age not a number": (
        "ehc_requests",
        "REQ-0009,CHILD-0009,2023-07-03,,,,,,abc,ASD",
        [(3, "age_at_request", "type: a whole number", "abc")],
    ),
    "age with a fraction": (
        "ehc_requests",
        "REQ-0009,CHILD-0009,2023-07-03,,,,,,7.5,ASD",
        [(3, "age_at_request", "type: a whole number", "7.5")],
    ),
    "age above 25": (
        "ehc_requests",
        "REQ-0009,CHILD-0009,2023-07-03,,,,,,26,ASD",
        [(3, "age_at_request", "in_range(0, 25)", "26")],
    ),
    "age missing": (
        "ehc_requests",
        "REQ-0009,CHILD-0009,2023-07-03,,,,,,,ASD",
        [(3, "age_at_request", "not_nullable", "")],
    ),
    "decision not allowed": (
        "ehc_requests",
        "REQ-0009,CHILD-0009,2023-07-03,2023-07-10,approved,,,,7,ASD",
        [(3, "decision", "isin(['assess', 'not_assess', 'withdrawn'])", "approved")],
    ),
    "primary need in lower case": (
        "ehc_requests",
        "REQ-0009,CHILD-0009,2023-07-03,,,,,,7,asd",
        [(3, "primary_need", "isin(['SPLD'", "asd")],
    ),
    "exception reason not allowed": (
        "ehc_requests",
        "REQ-0009,CHILD-0009,2023-07-03,,,,,illness,7,ASD",
        [(3, "exception_reason", "isin(['school_closure'", "illness")],
    ),
    "decision before request": (
        "ehc_requests",
        "REQ-0009,CHILD-0009,2023-07-03,2023-07-01,assess,,,,7,ASD",
        [(3, "decision_date", "decision_date not before request_received_date", "2023-07-01")],
    ),
    "outcome before decision": (
        "ehc_requests",
        "REQ-0009,CHILD-0009,2023-07-03,2023-07-10,assess,plan_issued,2023-07-05,,7,ASD",
        [(3, "assessment_outcome_date", "assessment_outcome_date not before decision_date", "2023-07-05")],
    ),
    "request after the quarter end": (
        "ehc_requests",
        "REQ-0009,CHILD-0009,2023-10-01,,,,,,7,ASD",
        [(3, "request_received_date", "request_received_date not after the file's quarter end", "2023-10-01")],
    ),
    "decision after the quarter end": (
        "ehc_requests",
        "REQ-0009,CHILD-0009,2023-09-20,2023-10-02,assess,,,,7,ASD",
        [(3, "decision_date", "decision_date not after the file's quarter end", "2023-10-02")],
    ),
    "refused before the quarter started": (
        "ehc_requests",
        "REQ-0009,CHILD-0009,2023-04-03,2023-05-01,not_assess,,,,7,ASD",
        [(3, "request_received_date", "case closed before the file's quarter started", "2023-04-03")],
    ),
    "plan issued before the quarter started": (
        "ehc_requests",
        "REQ-0009,CHILD-0009,2023-01-09,2023-02-10,assess,plan_issued,2023-06-30,,7,ASD",
        [(3, "request_received_date", "case closed before the file's quarter started", "2023-01-09")],
    ),
    "outcome after a refusal": (
        "ehc_requests",
        "REQ-0009,CHILD-0009,2023-07-03,2023-07-10,not_assess,plan_issued,2023-08-01,,7,ASD",
        [(3, "assessment_outcome", "assessment_outcome only when the decision was to assess", "plan_issued")],
    ),
    "outcome with no decision at all": (
        "ehc_requests",
        "REQ-0009,CHILD-0009,2023-07-03,,,plan_issued,2023-08-01,,7,ASD",
        [(3, "assessment_outcome", "assessment_outcome only when the decision was to assess", "plan_issued")],
    ),
    "decision without its date": (
        "ehc_requests",
        "REQ-0009,CHILD-0009,2023-07-03,,assess,,,,7,ASD",
        [(3, "decision_date", "decision_date present exactly when decision is present", "")],
    ),
    "decision date without a decision": (
        "ehc_requests",
        "REQ-0009,CHILD-0009,2023-07-03,2023-07-10,,,,,7,ASD",
        [(3, "decision_date", "decision_date present exactly when decision is present", "2023-07-10")],
    ),
    "outcome without its date": (
        "ehc_requests",
        "REQ-0009,CHILD-0009,2023-07-03,2023-07-10,assess,plan_issued,,,7,ASD",
        [(3, "assessment_outcome_date", "present exactly when assessment_outcome is present", "")],
    ),
    "advice type not allowed": (
        "advice_requests",
        "ADV-0009,REQ-0009,speech,2023-07-03,",
        [(3, "advice_type", "isin(['educational_psychology'", "speech")],
    ),
    "advice type missing": (
        "advice_requests",
        "ADV-0009,REQ-0009,,2023-07-03,",
        [(3, "advice_type", "not_nullable", "")],
    ),
    "advice requested date impossible": (
        "advice_requests",
        "ADV-0009,REQ-0009,health,2023-09-31,",
        [(3, "advice_requested_date", "type: a date", "2023-09-31")],
    ),
    "advice received before requested": (
        "advice_requests",
        "ADV-0009,REQ-0009,health,2023-07-03,2023-07-01",
        [(3, "advice_received_date", "advice_received_date not before advice_requested_date", "2023-07-01")],
    ),
    "advice received after the quarter end": (
        "advice_requests",
        "ADV-0009,REQ-0009,health,2023-09-25,2023-10-02",
        [(3, "advice_received_date", "advice_received_date not after the file's quarter end", "2023-10-02")],
    ),
    "advice received before the quarter started": (
        "advice_requests",
        "ADV-0009,REQ-0009,health,2023-06-01,2023-06-30",
        [(3, "advice_requested_date", "case closed before the file's quarter started", "2023-06-01")],
    ),
}


@pytest.mark.parametrize("case", list(ROW_CASES))
def test_bad_row_is_quarantined_with_row_column_rule_and_value(tmp_path, warehouse, case):
    extract, bad_row, expected = ROW_CASES[case]
    path = extract_file(tmp_path, extract, [GOOD[extract][0], bad_row, GOOD[extract][1]])

    outcome = load(warehouse, extract, path)

    rows = quarantine_rows(warehouse)
    assert [(r[0], r[1], r[3]) for r in rows] == [(e[0], e[1], e[3]) for e in expected]
    for row, (_, _, check_part, _) in zip(rows, expected, strict=True):
        assert check_part in row[2]
    assert (outcome.status, outcome.rows_in_file, outcome.rows_loaded, outcome.rows_quarantined) == ("loaded", 3, 2, 1)
    assert outcome.message == "loaded 2 of 3 rows, quarantined 1"
    assert loaded_row_numbers(warehouse, extract) == [2, 4]
    [entry] = load_log(warehouse)
    assert (entry["status"], entry["rows_in_file"], entry["rows_loaded"], entry["rows_quarantined"]) == (
        "current",
        3,
        2,
        1,
    )
    assert warehouse.execute("select distinct load_id, extract, file_path from raw.quarantine").fetchall() == [
        (entry["load_id"], extract, str(path))
    ]


@pytest.mark.parametrize(
    ("extract", "first", "second", "id_column"),
    [
        (
            "ehc_requests",
            "REQ-0005,CHILD-0005,2023-07-03,,,,,,7,ASD",
            "REQ-0005,CHILD-0006,2023-07-04,,,,,,8,MLD",
            "request_id",
        ),
        (
            "advice_requests",
            "ADV-0005,REQ-0001,health,2023-07-03,",
            "ADV-0005,REQ-0002,education,2023-07-04,",
            "advice_request_id",
        ),
    ],
)
def test_duplicate_id_within_a_file_quarantines_both_rows(tmp_path, warehouse, extract, first, second, id_column):
    raw_id = first.split(",")[0]
    path = extract_file(tmp_path, extract, [GOOD[extract][0], first, second, GOOD[extract][1]])

    outcome = load(warehouse, extract, path)

    assert quarantine_rows(warehouse) == [
        (3, id_column, "unique within the file", pseudonym(raw_id)),
        (4, id_column, "unique within the file", pseudonym(raw_id)),
    ]
    assert (outcome.rows_in_file, outcome.rows_loaded, outcome.rows_quarantined) == (4, 2, 2)
    assert loaded_row_numbers(warehouse, extract) == [2, 5]


def test_one_row_failing_several_rules_counts_once(tmp_path, warehouse):
    bad = "REQ-0009,CHILD-0009,2023-07-03,2023-07-10,approved,,,,abc,ASD"
    path = extract_file(tmp_path, "ehc_requests", [bad, GOOD["ehc_requests"][0]])

    outcome = load(warehouse, "ehc_requests", path)

    assert [(r[0], r[1], r[3]) for r in quarantine_rows(warehouse)] == [
        (2, "age_at_request", "abc"),
        (2, "decision", "approved"),
    ]
    assert (outcome.rows_loaded, outcome.rows_quarantined) == (1, 1)
    assert outcome.message == "loaded 1 of 2 rows, quarantined 1"


def test_boundary_rows_of_the_quarter_are_accepted(tmp_path, warehouse):
    rows = [
        # received on the quarter's last day
        "REQ-0001,CHILD-0001,2023-09-30,,,,,,7,ASD",
        # refused on the quarter's first day: open during the quarter
        "REQ-0002,CHILD-0002,2023-06-01,2023-07-01,not_assess,,,,7,ASD",
        # a plan issued on the quarter's last day, with an exception recorded
        "REQ-0003,CHILD-0003,2023-03-01,2023-04-10,assess,plan_issued,2023-09-30,school_closure,0,PMLD",
        # still open from an earlier quarter
        "REQ-0004,CHILD-0004,2023-01-05,2023-02-01,assess,,,,25,NSA",
    ]
    path = extract_file(tmp_path, "ehc_requests", rows)

    outcome = load(warehouse, "ehc_requests", path)

    assert quarantine_rows(warehouse) == []
    assert (outcome.rows_loaded, outcome.rows_quarantined) == (4, 0)
    assert warehouse.execute(
        "select source_row_number, source_period, period_start, period_end, decision, assessment_outcome, "
        "exception_reason, age_at_request from raw.ehc_requests order by 1"
    ).fetchall() == [
        (2, Q2, date(2023, 7, 1), date(2023, 9, 30), None, None, None, 7),
        (3, Q2, date(2023, 7, 1), date(2023, 9, 30), "not_assess", None, None, 7),
        (4, Q2, date(2023, 7, 1), date(2023, 9, 30), "assess", "plan_issued", "school_closure", 0),
        (5, Q2, date(2023, 7, 1), date(2023, 9, 30), "assess", None, None, 25),
    ]


def test_surrounding_spaces_are_ignored(tmp_path, warehouse):
    path = extract_file(tmp_path, "advice_requests", [" ADV-0001 , REQ-0001 , health , 2023-07-03 , 2023-07-20 "])

    outcome = load(warehouse, "advice_requests", path)

    assert outcome.rows_loaded == 1
    assert warehouse.execute(
        "select advice_request_id, request_id, advice_type, advice_requested_date, advice_received_date "
        "from raw.advice_requests"
    ).fetchall() == [(pseudonym("ADV-0001"), pseudonym("REQ-0001"), "health", date(2023, 7, 3), date(2023, 7, 20))]


# --- identifiers ---------------------------------------------------------------------------


def test_raw_identifiers_never_stored_and_advice_joins_to_requests(tmp_path, warehouse):
    requests = extract_file(
        tmp_path,
        "ehc_requests",
        [
            "REQ-0001,CHILD-0001,2023-07-03,,,,,,7,ASD",
            "REQ-0002,CHILD-0002,2023-07-04,,,,,,12,SEMH",
            "REQ-0003,CHILD-0003,2023-07-05,,,,,,abc,SEMH",  # quarantined: type
            "REQ-0004,CHILD-0004,2023-07-05,,,,,,9,ASD",  # quarantined: duplicate id
            "REQ-0004,CHILD-0005,2023-07-06,,,,,,9,ASD",
        ],
    )
    advice = extract_file(
        tmp_path,
        "advice_requests",
        [
            "ADV-0001,REQ-0001,health,2023-07-10,",
            "ADV-0002,REQ-0001,educational_psychology,2023-07-10,2023-08-01",
            "ADV-0003,REQ-0002,social_care,2023-07-11,",  # quarantined: duplicate id
            "ADV-0003,REQ-0002,education,2023-07-11,",  # quarantined: duplicate id
            "ADV-0004,REQ-0002,other,2023-07-12,",
        ],
    )
    load(warehouse, "ehc_requests", requests)
    load(warehouse, "advice_requests", advice)

    raw_ids = (
        {f"REQ-000{i}" for i in range(1, 5)}
        | {f"CHILD-000{i}" for i in range(1, 6)}
        | {f"ADV-000{i}" for i in range(1, 5)}
    )
    for table in ("raw.ehc_requests", "raw.advice_requests", "raw.quarantine"):
        stored = every_stored_value(warehouse, table)
        assert not [value for value in stored if any(raw in value for raw in raw_ids)], table
    assert {r[0] for r in warehouse.execute("select request_id from raw.ehc_requests").fetchall()} == {
        pseudonym("REQ-0001"),
        pseudonym("REQ-0002"),
    }
    assert {r[0] for r in warehouse.execute("select child_id from raw.ehc_requests").fetchall()} == {
        pseudonym("CHILD-0001"),
        pseudonym("CHILD-0002"),
    }
    assert warehouse.execute(
        "select a.advice_type, r.age_at_request from raw.advice_requests a "
        "join raw.ehc_requests r using (request_id) order by a.advice_type"
    ).fetchall() == [("educational_psychology", 7), ("health", 7), ("other", 12)]
    assert warehouse.execute(
        "select original_value from raw.quarantine where extract = 'advice_requests'"
    ).fetchall() == [(pseudonym("ADV-0003"),), (pseudonym("ADV-0003"),)]


def test_same_id_same_key_same_pseudonym_across_files_and_other_key_differs(tmp_path, warehouse):
    q2 = extract_file(tmp_path, "ehc_requests", ["REQ-0001,CHILD-0001,2023-07-03,,,,,,7,ASD"])
    q3 = extract_file(
        tmp_path,
        "ehc_requests",
        ["REQ-0001,CHILD-0001,2023-07-03,2023-08-01,assess,,,,7,ASD"],
        name="ehc_requests_2023-24_Q3.csv",
    )
    load(warehouse, "ehc_requests", q2)
    load(warehouse, "ehc_requests", q3)
    other = duckdb.connect(str(tmp_path / "other.duckdb"))
    ensure_raw_tables(other, list(EXTRACTS.values()))
    load(other, "ehc_requests", q2, key="another key")

    assert warehouse.execute(
        "select source_period, request_id, child_id from raw.ehc_requests order by source_period"
    ).fetchall() == [
        (Q2, pseudonym("REQ-0001"), pseudonym("CHILD-0001")),
        ("2023-24_Q3", pseudonym("REQ-0001"), pseudonym("CHILD-0001")),
    ]
    assert other.execute("select request_id from raw.ehc_requests").fetchone()[0] == pseudonym(
        "REQ-0001", "another key"
    )
    assert pseudonym("REQ-0001", "another key") != pseudonym("REQ-0001")
    other.close()


# --- loading the same file again -------------------------------------------------------------


def _snapshot(connection) -> tuple[int, int, int, int]:
    return (
        count(connection, "raw.ehc_requests"),
        count(connection, "raw.advice_requests"),
        count(connection, "raw.quarantine"),
        count(connection, "raw.load_log"),
    )


@pytest.mark.parametrize("extract", ["ehc_requests", "advice_requests"])
def test_same_file_twice_is_unchanged(tmp_path, warehouse, extract):
    bad = {
        "ehc_requests": "REQ-0009,CHILD-0009,2023-07-03,,,,,,abc,ASD",
        "advice_requests": "ADV-0009,REQ-0009,speech,2023-07-03,",
    }[extract]
    path = extract_file(tmp_path, extract, [*GOOD[extract], bad])
    first = load(warehouse, extract, path)
    before = _snapshot(warehouse)

    again = load(warehouse, extract, path)

    assert first.status == "loaded"
    assert before == ((2, 0, 1, 1) if extract == "ehc_requests" else (0, 2, 1, 1))
    assert again.status == "unchanged"
    assert "this file" in again.message
    assert (again.rows_loaded, again.rows_quarantined) == (0, 0)
    assert _snapshot(warehouse) == before
    assert [e["status"] for e in load_log(warehouse)] == ["current"]


@pytest.mark.parametrize("extract", ["ehc_requests", "advice_requests"])
def test_same_content_under_another_name_is_unchanged(tmp_path, warehouse, extract):
    path = extract_file(tmp_path, extract, GOOD[extract])
    load(warehouse, extract, path)
    before = _snapshot(warehouse)
    copy = path.with_name(f"{extract}_{Q2} (copy).csv")
    copy.write_bytes(path.read_bytes())

    outcome = load(warehouse, extract, copy)

    assert outcome.status == "unchanged"
    assert f"identical to {path}" in outcome.message
    assert _snapshot(warehouse) == before


def test_folder_loaded_twice_changes_nothing_the_second_time(tmp_path, warehouse):
    folder = tmp_path / "ehc_requests"
    extract_file(tmp_path, "ehc_requests", GOOD["ehc_requests"])
    extract_file(
        tmp_path,
        "ehc_requests",
        ["REQ-0001,CHILD-0001,2023-07-03,2023-10-05,assess,,,,7,ASD"],
        name="ehc_requests_2023-24_Q3.csv",
    )
    # a copy of the Q2 file under another name arriving together with it
    (folder / f"ehc_requests_{Q2} copy.csv").write_bytes((folder / f"ehc_requests_{Q2}.csv").read_bytes())

    first = load_extract_folder(warehouse, EXTRACTS["ehc_requests"], folder, KEY)
    before = _snapshot(warehouse)
    second = load_extract_folder(warehouse, EXTRACTS["ehc_requests"], folder, KEY)

    assert [(o.path.name, o.status) for o in first] == [
        (f"ehc_requests_{Q2} copy.csv", "loaded"),
        (f"ehc_requests_{Q2}.csv", "unchanged"),
        ("ehc_requests_2023-24_Q3.csv", "loaded"),
    ]
    assert before == (3, 0, 0, 2)
    assert [o.status for o in second] == ["unchanged", "unchanged", "unchanged"]
    assert _snapshot(warehouse) == before


# --- corrected files and history ------------------------------------------------------------


@pytest.mark.parametrize("extract", ["ehc_requests", "advice_requests"])
def test_corrected_file_supersedes_the_earlier_load_and_keeps_history(tmp_path, warehouse, extract):
    original = extract_file(tmp_path, extract, GOOD[extract][:1])
    corrected_row = {
        "ehc_requests": "REQ-0003,CHILD-0003,2023-07-05,,,,,,3,HI",
        "advice_requests": "ADV-0003,REQ-0003,other,2023-07-05,",
    }[extract]
    first = load(warehouse, extract, original)
    [first_log] = load_log(warehouse)
    corrected = extract_file(tmp_path, extract, [*GOOD[extract], corrected_row], name=f"{extract}_{Q2}_corrected.csv")

    second = load(warehouse, extract, corrected)

    log = {e["file_name"]: e for e in load_log(warehouse)}
    old, new = log[original.name], log[corrected.name]
    assert first.status == second.status == "loaded"
    assert old["load_id"] == first_log["load_id"]
    assert (old["status"], old["superseded_by"]) == ("superseded", new["load_id"])
    assert new["status"] == "current"
    assert new["superseded_by"] is None or pd.isna(new["superseded_by"])
    assert second.message == f"loaded 3 of 3 rows, quarantined 0; replaces {old['load_id']}"
    assert warehouse.execute(f"select load_id, count(*) from raw.{extract} group by load_id order by 2").fetchall() == [
        (old["load_id"], 1),
        (new["load_id"], 3),
    ]
    assert warehouse.execute(
        "select load_id from raw.load_log where extract = ? and source_period = ? and status = 'current'",
        [extract, Q2],
    ).fetchall() == [(new["load_id"],)]


def test_rejected_correction_leaves_the_current_load_current(tmp_path, warehouse):
    original = extract_file(tmp_path, "advice_requests", GOOD["advice_requests"])
    load(warehouse, "advice_requests", original)
    broken = extract_file(
        tmp_path,
        "advice_requests",
        GOOD["advice_requests"],
        name=f"advice_requests_{Q2}_v2.csv",
        header=[*ADVICE_HEADER[:-1], "received"],
    )

    outcome = load(warehouse, "advice_requests", broken)

    assert outcome.status == "rejected"
    assert {e["file_name"]: e["status"] for e in load_log(warehouse)} == {
        original.name: "current",
        broken.name: "rejected",
    }
    assert count(warehouse, "raw.advice_requests") == 2


def test_corrected_file_in_a_later_folder_run_supersedes(tmp_path, warehouse):
    folder = tmp_path / "advice_requests"
    extract_file(tmp_path, "advice_requests", GOOD["advice_requests"][:1])
    load_extract_folder(warehouse, EXTRACTS["advice_requests"], folder, KEY)
    extract_file(tmp_path, "advice_requests", GOOD["advice_requests"], name=f"advice_requests_{Q2}_resent.csv")

    outcomes = load_extract_folder(warehouse, EXTRACTS["advice_requests"], folder, KEY)

    assert {o.path.name: o.status for o in outcomes} == {
        f"advice_requests_{Q2}.csv": "unchanged",
        f"advice_requests_{Q2}_resent.csv": "loaded",
    }
    assert {e["file_name"]: e["status"] for e in load_log(warehouse)} == {
        f"advice_requests_{Q2}.csv": "superseded",
        f"advice_requests_{Q2}_resent.csv": "current",
    }


@pytest.mark.parametrize("extract", ["ehc_requests", "advice_requests"])
def test_two_new_files_for_one_quarter_are_both_rejected(tmp_path, warehouse, extract):
    folder = tmp_path / extract
    extract_file(tmp_path, extract, GOOD[extract][:1], name=f"{extract}_{Q2}_a.csv")
    extract_file(tmp_path, extract, GOOD[extract], name=f"{extract}_{Q2}_b.csv")
    q1_row = {
        "ehc_requests": "REQ-0007,CHILD-0007,2023-05-03,,,,,,7,ASD",
        "advice_requests": "ADV-0007,REQ-0007,health,2023-05-03,",
    }[extract]
    extract_file(tmp_path, extract, [q1_row], name=f"{extract}_2023-24_Q1.csv")

    outcomes = {o.path.name: o for o in load_extract_folder(warehouse, EXTRACTS[extract], folder, KEY)}

    assert {name: o.status for name, o in outcomes.items()} == {
        f"{extract}_2023-24_Q1.csv": "loaded",
        f"{extract}_{Q2}_a.csv": "rejected",
        f"{extract}_{Q2}_b.csv": "rejected",
    }
    for name in (f"{extract}_{Q2}_a.csv", f"{extract}_{Q2}_b.csv"):
        message = outcomes[name].message
        assert f"{extract}_{Q2}_a.csv" in message and f"{extract}_{Q2}_b.csv" in message
        assert "two new files for 2023-24_Q2" in message
        assert outcomes[name].source_period == Q2
    assert warehouse.execute(f"select distinct source_period from raw.{extract}").fetchall() == [("2023-24_Q1",)]
    assert count(warehouse, f"raw.{extract}") == 1
    assert (
        warehouse.execute(
            "select count(*) from raw.load_log where source_period = ? and status <> 'rejected'", [Q2]
        ).fetchone()[0]
        == 0
    )


# --- other file forms -------------------------------------------------------------------------


def _stored(connection, extract: str) -> list[tuple]:
    columns = ", ".join(["source_period", "period_start", "period_end", "source_row_number", *HEADERS[extract]])
    return connection.execute(f"select {columns} from raw.{extract} order by source_row_number").fetchall()


XLSX_CASES = {
    "ehc_requests": (
        [
            "REQ-0001,CHILD-0001,2023-07-03,2023-08-01,assess,,,,7,ASD",
            "REQ-0002,CHILD-0002,2023-05-02,2023-06-01,assess,plan_issued,2023-09-29,missed_appointment,16,SLCN",
            "REQ-0003,CHILD-0003,2023-07-04,,,,,,0,",
        ],
        pd.DataFrame(
            {
                "request_id": ["REQ-0001", "REQ-0002", "REQ-0003"],
                "child_id": ["CHILD-0001", "CHILD-0002", "CHILD-0003"],
                "request_received_date": [datetime(2023, 7, 3), datetime(2023, 5, 2), datetime(2023, 7, 4)],
                "decision_date": [datetime(2023, 8, 1), datetime(2023, 6, 1), pd.NaT],
                "decision": ["assess", "assess", None],
                "assessment_outcome": [None, "plan_issued", None],
                "assessment_outcome_date": [pd.NaT, datetime(2023, 9, 29), pd.NaT],
                "exception_reason": [None, "missed_appointment", None],
                "age_at_request": [7.0, 16.0, 0.0],
                "primary_need": ["ASD", "SLCN", None],
            }
        ),
    ),
    "advice_requests": (
        ["ADV-0001,REQ-0001,health,2023-07-03,2023-07-20", "ADV-0002,REQ-0002,education,2023-06-20,"],
        pd.DataFrame(
            {
                "advice_request_id": ["ADV-0001", "ADV-0002"],
                "request_id": ["REQ-0001", "REQ-0002"],
                "advice_type": ["health", "education"],
                "advice_requested_date": [datetime(2023, 7, 3), datetime(2023, 6, 20)],
                "advice_received_date": [datetime(2023, 7, 20), pd.NaT],
            }
        ),
    ),
}


@pytest.mark.parametrize("extract", list(XLSX_CASES))
def test_xlsx_extract_loads_the_same_rows_as_its_csv(tmp_path, extract):
    csv_rows, frame = XLSX_CASES[extract]
    csv_path = extract_file(tmp_path / "csv", extract, csv_rows)
    xlsx_path = tmp_path / "xlsx" / extract / f"{extract} {Q2} final.xlsx"
    xlsx_path.parent.mkdir(parents=True)
    frame.to_excel(xlsx_path, index=False)
    from_csv = duckdb.connect(str(tmp_path / "csv.duckdb"))
    from_xlsx = duckdb.connect(str(tmp_path / "xlsx.duckdb"))
    for connection in (from_csv, from_xlsx):
        ensure_raw_tables(connection, list(EXTRACTS.values()))

    csv_outcome = load(from_csv, extract, csv_path)
    xlsx_outcome = load(from_xlsx, extract, xlsx_path)

    assert xlsx_outcome.status == "loaded"
    assert (xlsx_outcome.rows_loaded, xlsx_outcome.rows_quarantined) == (len(csv_rows), 0)
    assert (csv_outcome.rows_loaded, csv_outcome.rows_quarantined) == (len(csv_rows), 0)
    assert _stored(from_xlsx, extract) == _stored(from_csv, extract)
    assert from_xlsx.execute("select encoding from raw.load_log").fetchone()[0] == "xlsx"
    if extract == "ehc_requests":
        assert from_xlsx.execute(
            "select age_at_request, assessment_outcome_date from raw.ehc_requests order by source_row_number"
        ).fetchall() == [(7, None), (16, date(2023, 9, 29)), (0, None)]
    from_csv.close()
    from_xlsx.close()


def test_xlsx_bad_cells_are_quarantined_with_excel_row_numbers(tmp_path, warehouse):
    frame = pd.DataFrame(
        {
            "advice_request_id": ["ADV-0001", "ADV-0002"],
            "request_id": ["REQ-0001", "REQ-0002"],
            "advice_type": ["health", "Health"],
            "advice_requested_date": [datetime(2023, 7, 3), datetime(2023, 7, 4)],
            "advice_received_date": [pd.NaT, pd.NaT],
        }
    )
    path = tmp_path / "advice_requests" / f"advice_requests_{Q2}.xlsx"
    path.parent.mkdir(parents=True)
    frame.to_excel(path, index=False)

    outcome = load(warehouse, "advice_requests", path)

    assert [(r[0], r[1], r[3]) for r in quarantine_rows(warehouse)] == [(3, "advice_type", "Health")]
    assert (outcome.rows_loaded, outcome.rows_quarantined) == (1, 1)


def test_damaged_xlsx_is_rejected(tmp_path, warehouse):
    path = tmp_path / "ehc_requests" / f"ehc_requests_{Q2}.xlsx"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")

    outcome = load(warehouse, "ehc_requests", path)

    _assert_rejected_whole(warehouse, "ehc_requests", path, outcome, "unreadable", Q2)
    assert "not a readable .xlsx workbook" in outcome.message


def test_uk_dates_are_read_day_first(tmp_path, warehouse):
    path = extract_file(
        tmp_path,
        "ehc_requests",
        [
            "REQ-0001,CHILD-0001,03/07/2023,20/07/2023,assess,plan_issued,29/09/2023,,7,ASD",
            "REQ-0002,CHILD-0002,2023-07-04,12/08/2023,not_assess,,,,8,MLD",
        ],
    )

    outcome = load(warehouse, "ehc_requests", path)

    assert (outcome.rows_loaded, outcome.rows_quarantined) == (2, 0)
    assert warehouse.execute(
        "select request_received_date, decision_date, assessment_outcome_date from raw.ehc_requests "
        "order by source_row_number"
    ).fetchall() == [
        (date(2023, 7, 3), date(2023, 7, 20), date(2023, 9, 29)),
        (date(2023, 7, 4), date(2023, 8, 12), None),
    ]


def test_us_style_date_is_not_a_uk_date(tmp_path, warehouse):
    # 07/20/2023 would be July 20th in the US; as DD/MM/YYYY it has no 20th month.
    path = extract_file(tmp_path, "advice_requests", ["ADV-0001,REQ-0001,health,07/20/2023,"])

    load(warehouse, "advice_requests", path)

    assert [(r[0], r[1], r[3]) for r in quarantine_rows(warehouse)] == [(2, "advice_requested_date", "07/20/2023")]


def test_windows_1252_csv_with_a_pound_sign_is_loaded_and_noted(tmp_path, warehouse):
    folder = tmp_path / "advice_requests"
    lines = [",".join(ADVICE_HEADER), "ADV-£0001,REQ-0001,health,2023-07-03,", "ADV-0002,REQ-0002,health,2023-07-04,"]
    path = write_csv(folder, f"advice_requests_{Q2}.csv", lines, encoding="cp1252")
    assert b"\xa3" in path.read_bytes()  # the cp1252 pound sign, not valid UTF-8 on its own

    outcome = load(warehouse, "advice_requests", path)

    assert outcome.status == "loaded"
    assert outcome.rows_loaded == 2
    assert outcome.message == "loaded 2 of 2 rows, quarantined 0; read as windows-1252"
    assert warehouse.execute("select encoding, message from raw.load_log").fetchone() == (
        "windows-1252",
        outcome.message,
    )
    # decoded as '£' (not mojibake): the pseudonym is that of the text with a real pound sign
    assert warehouse.execute(
        "select advice_request_id from raw.advice_requests where source_row_number = 2"
    ).fetchone()[0] == pseudonym("ADV-£0001")


def test_utf8_csv_with_byte_order_mark_is_loaded_without_a_note(tmp_path, warehouse):
    folder = tmp_path / "advice_requests"
    lines = [",".join(ADVICE_HEADER), "ADV-£0001,REQ-0001,health,2023-07-03,"]
    path = folder / f"advice_requests_{Q2}.csv"
    folder.mkdir(parents=True)
    path.write_bytes(b"\xef\xbb\xbf" + ("\n".join(lines) + "\n").encode("utf-8"))

    outcome = load(warehouse, "advice_requests", path)

    assert outcome.message == "loaded 1 of 1 rows, quarantined 0"
    assert warehouse.execute("select advice_request_id from raw.advice_requests").fetchone()[0] == pseudonym(
        "ADV-£0001"
    )


# --- sendkpi validate ---------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path, monkeypatch) -> Path:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("SENDKPI_PSEUDONYMISATION_KEY", KEY)
    monkeypatch.setenv("SENDKPI_DATA_DIR", str(data_dir))
    monkeypatch.delenv("SENDKPI_PSEUDONYMISATION_KEY_FILE", raising=False)
    return data_dir


def _no_warehouse_written(tmp_path: Path, data_dir: Path) -> None:
    assert not data_dir.exists()
    assert sorted(p.name for p in tmp_path.rglob("*.duckdb*")) == []


def test_validate_clean_file_exits_0(tmp_path, cli_env, capsys):
    from pipelines.cli import main

    path = extract_file(tmp_path / "drop", "advice_requests", GOOD["advice_requests"])

    code = main(["validate", str(path)])

    out = capsys.readouterr().out
    assert code == 0
    assert out.strip() == f"{path}: 2 of 2 rows pass every rule; 0 would be quarantined"
    _no_warehouse_written(tmp_path, cli_env)


def test_validate_bad_file_exits_1_and_prints_the_failing_rows(tmp_path, cli_env, capsys):
    from pipelines.cli import main

    path = extract_file(
        tmp_path / "drop",
        "ehc_requests",
        [
            GOOD["ehc_requests"][0],
            "REQ-0009,CHILD-0009,2023-07-03,2023-07-01,assess,,,,7,ASD",
            "REQ-0010,CHILD-0010,2023-07-03,,,,,,abc,ASD",
        ],
    )

    code = main(["validate", str(path)])

    out = capsys.readouterr().out
    lines = out.splitlines()
    assert code == 1
    assert lines[0] == f"{path}: 1 of 3 rows pass every rule; 2 would be quarantined"
    assert lines[1].split() == ["row", "column", "rule", "original_value"]
    assert lines[2].split()[:2] == ["3", "decision_date"]
    assert "decision_date not before request_received_date" in lines[2] and lines[2].endswith("2023-07-01")
    assert lines[3].split()[:2] == ["4", "age_at_request"]
    assert "type: a whole number" in lines[3] and lines[3].endswith("abc")
    assert "REQ-00" not in out and "CHILD-00" not in out
    _no_warehouse_written(tmp_path, cli_env)


def test_validate_rejected_file_exits_1(tmp_path, cli_env, capsys):
    from pipelines.cli import main

    path = extract_file(tmp_path / "drop", "ehc_requests", GOOD["ehc_requests"], header=[*EHC_HEADER[:-1], "need"])

    code = main(["validate", str(path)])

    out = capsys.readouterr().out
    assert code == 1
    assert f"{path}: rejected (missing columns)" in out and "primary_need" in out
    _no_warehouse_written(tmp_path, cli_env)


def test_validate_file_outside_an_extract_folder_needs_extract(tmp_path, cli_env, capsys):
    from pipelines.cli import main

    path = write_csv(tmp_path / "downloads", f"advice {Q2}.csv", [",".join(ADVICE_HEADER), *GOOD["advice_requests"]])

    assert main(["validate", str(path)]) == 2
    assert "pass --extract" in capsys.readouterr().err
    assert main(["validate", str(path), "--extract", "advice_requests"]) == 0
    _no_warehouse_written(tmp_path, cli_env)


# --- the pseudonymisation key rule ----------------------------------------------------------------


def _settings(data_dir: Path, key: str | None) -> Settings:
    return Settings(
        home_la="990",
        data_dir=data_dir,
        benchmarks_dir=data_dir / "sample_benchmarks",
        sn_model="2025",
        small_count_threshold=5,
        pseudonymisation_key=key,
    )


def test_no_key_and_files_merely_named_synthetic_refuses(tmp_path):
    # The demo key is for the bundled sample's own files (by content, tests/test_keys.py):
    # a name saying "synthetic" proves nothing.
    raw = tmp_path / "raw"
    extract_file(raw, "ehc_requests", GOOD["ehc_requests"], name=f"ehc_requests_synthetic_{Q2}.csv")
    extract_file(raw, "advice_requests", GOOD["advice_requests"], name=f"advice_requests_SYNTHETIC_{Q2}.xlsx")

    with pytest.raises(SettingsError, match="not the bundled synthetic sample"):
        pseudonymisation_key(_settings(tmp_path, None))


def test_no_key_and_a_real_looking_file_refuses(tmp_path):
    raw = tmp_path / "raw"
    extract_file(raw, "ehc_requests", GOOD["ehc_requests"], name=f"ehc_requests_synthetic_{Q2}.csv")
    extract_file(raw, "advice_requests", GOOD["advice_requests"], name=f"advice_requests_{Q2}.csv")

    with pytest.raises(SettingsError, match="SENDKPI_PSEUDONYMISATION_KEY"):
        pseudonymisation_key(_settings(tmp_path, None))


def test_configured_key_is_used_even_for_synthetic_files(tmp_path):
    extract_file(tmp_path / "raw", "ehc_requests", GOOD["ehc_requests"], name=f"ehc_requests_synthetic_{Q2}.csv")

    assert pseudonymisation_key(_settings(tmp_path, "the real secret, 2026")) == "the real secret, 2026"


def test_validate_real_file_without_a_key_refuses(tmp_path, monkeypatch, capsys):
    from pipelines.cli import main

    data_dir = tmp_path / "data"
    extract_file(data_dir / "raw", "ehc_requests", GOOD["ehc_requests"])
    monkeypatch.setenv("SENDKPI_DATA_DIR", str(data_dir))
    monkeypatch.delenv("SENDKPI_PSEUDONYMISATION_KEY", raising=False)
    monkeypatch.delenv("SENDKPI_PSEUDONYMISATION_KEY_FILE", raising=False)

    code = main(["validate", str(data_dir / "raw" / "ehc_requests" / f"ehc_requests_{Q2}.csv")])

    assert code == 2
    assert "No pseudonymisation key" in capsys.readouterr().err


def test_validate_an_aggregate_return_reports_its_rows_and_leaves_the_file_alone(tmp_path, monkeypatch, capsys):
    from pipelines.cli import main

    folder = tmp_path / "data" / "raw" / "neet"
    folder.mkdir(parents=True)
    path = folder / "neet_counts.csv"
    content = (
        "month,age,send_status,cohort,neet,not_known\n"
        "2023-09,16,ehc_plan,100,5,200\n"
        "2023-13,16,no_send,100,5,2\n"
        "2023-10,17,no_send,100,5,2\n"
    )
    path.write_text(content, encoding="utf-8")
    monkeypatch.setenv("SENDKPI_DATA_DIR", str(tmp_path / "data"))

    code = main(["validate", str(path)])

    out = capsys.readouterr().out
    assert code == 1
    assert "neet_counts.csv: neet: loaded 1 of 3 rows, quarantined 2" in out
    assert "neet + not_known not above the cohort" in out and "a month like 2023-09" in out
    assert path.read_text(encoding="utf-8") == content
    assert sorted(p.name for p in folder.iterdir()) == ["neet_counts.csv"]
