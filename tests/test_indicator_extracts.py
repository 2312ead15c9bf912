"""Bad files for the indicator extracts and returns: annual reviews, exclusions, children
missing education (quarterly case-level extracts) and NEET, school census (aggregate returns).

Every file is hand-made with exactly the rows a test needs. The extracts are loaded with
pipelines/ingest/extracts.py into a DuckDB file in tmp_path, like tests/test_extract_ingest.py
does for ehc_requests; the returns with pipelines/ingest/returns.py. The expected quarantine
rows are worked out from the rules in schemas/annual_reviews.py, exclusions.py,
children_missing_education.py, neet.py and school_census.py, not copied from a run.
The quarter used throughout is 2023-24_Q2: 1 July 2023 to 30 September 2023.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.extracts import FileOutcome
from pipelines.ingest.returns import NEET, SCHOOL_CENSUS, ReturnFolder, load_returns_folder
from tests.extract_helpers import (
    Q2,
    count,
    load,
    load_log,
    loaded_row_numbers,
    pseudonym,
    quarantine_rows,
    write_csv,
)

DATE_TYPE = "type: a date (YYYY-MM-DD or DD/MM/YYYY)"

HEADERS = {
    "annual_reviews": [
        "plan_id",
        "child_id",
        "plan_start_date",
        "last_review_date",
        "next_review_due_date",
        "review_held_date",
    ],
    "exclusions": [
        "exclusion_id",
        "pupil_id",
        "school_id",
        "school_phase",
        "sen_status",
        "exclusion_type",
        "start_date",
        "reason",
    ],
    "children_missing_education": [
        "case_id",
        "child_id",
        "referral_date",
        "referral_reason",
        "closure_date",
        "outcome",
    ],
}
ID_COLUMNS = {
    "annual_reviews": ["plan_id", "child_id"],
    "exclusions": ["exclusion_id", "pupil_id"],
    "children_missing_education": ["case_id", "child_id"],
}

# Two good rows per extract, valid in 2023-24 Q2.
GOOD = {
    "annual_reviews": [
        # reviewed a year ago, this year's review held a week early, inside the quarter
        "PLAN-0001,CHILD-0001,2020-05-04,2022-09-12,2023-09-12,2023-09-05",
        # a plan started this year, not yet reviewed
        "PLAN-0002,CHILD-0002,2023-02-01,,2024-02-01,",
    ],
    "exclusions": [
        "EXC-0001,PUPIL-0001,URN-100001,secondary,sen_support,suspension,2023-07-03,PD",
        "EXC-0002,PUPIL-0002,URN-100002,middle,ehc_plan,permanent,2023-09-29,PA",
    ],
    "children_missing_education": [
        "CME-0001,CHILD-0001,2023-07-03,removed_from_roll,2023-08-20,returned_to_school",
        "CME-0002,CHILD-0002,2023-05-10,moved_address_unknown,,",
    ],
}

PHASES = "isin(['primary', 'middle', 'secondary', 'special', 'alternative_provision'])"
SEN = "isin(['ehc_plan', 'sen_support', 'no_sen'])"
EXCLUSION_TYPES = "isin(['permanent', 'suspension'])"
REASONS = "isin(['PP', 'PA', 'VP', 'VA', 'BU', 'RA', 'AS', 'AD', 'SM', 'DA', 'DM', 'TH', 'PD', 'MT', 'SO', 'OT'])"
REFERRAL_REASONS = "isin(['not_registered', 'removed_from_roll', 'moved_address_unknown', 'not_attending', 'other'])"
OUTCOMES = (
    "isin(['returned_to_school', 'other_provision', 'elective_home_education', 'moved_out_of_area', "
    "'left_england', 'other'])"
)
DUE_AFTER = "next_review_due_date after the last review (or the plan start)"
DUE_WITHIN = "next_review_due_date within 12 months of the last review (or the plan start)"


# --- helpers -------------------------------------------------------------------------------


def extract_file(
    tmp_path: Path, extract: str, rows: list[str], name: str | None = None, header: list[str] | None = None
) -> Path:
    header_line = ",".join(HEADERS[extract] if header is None else header)
    return write_csv(tmp_path / extract, name or f"{extract}_{Q2}.csv", [header_line, *rows])


def _assert_rejected_whole(connection, extract: str, path: Path, outcome: FileOutcome, rule: str) -> None:
    assert outcome.status == "rejected"
    assert outcome.message.startswith(f"{path}: rejected ({rule})")
    assert (outcome.rows_loaded, outcome.rows_quarantined) == (0, 0)
    assert count(connection, f"raw.{extract}") == 0
    assert count(connection, "raw.quarantine") == 0
    [entry] = load_log(connection)
    assert (entry["status"], entry["extract"], entry["file_name"], entry["source_period"]) == (
        "rejected",
        extract,
        path.name,
        Q2,
    )
    assert entry["message"] == outcome.message


@pytest.mark.parametrize(
    ("extract", "dropped"),
    [
        ("annual_reviews", "next_review_due_date"),
        ("exclusions", "school_phase"),
        ("children_missing_education", "referral_reason"),
        ("exclusions", "pupil_id"),
    ],
)
def test_missing_column_rejects_the_file_naming_the_column(tmp_path, warehouse, extract, dropped):
    position = HEADERS[extract].index(dropped)
    header = [c for c in HEADERS[extract] if c != dropped]
    rows = [",".join(v for i, v in enumerate(row.split(",")) if i != position) for row in GOOD[extract]]
    path = extract_file(tmp_path, extract, rows, header=header)

    outcome = load(warehouse, extract, path)

    _assert_rejected_whole(warehouse, extract, path, outcome, "missing columns")
    assert outcome.message.endswith(f"Columns: {dropped}.")


@pytest.mark.parametrize("extract", list(HEADERS))
def test_unknown_extra_column_rejects_the_file_naming_the_column(tmp_path, warehouse, extract):
    path = extract_file(
        tmp_path, extract, [row + ",a note" for row in GOOD[extract]], header=[*HEADERS[extract], "notes"]
    )

    outcome = load(warehouse, extract, path)

    _assert_rejected_whole(warehouse, extract, path, outcome, "unknown columns")
    assert "docs/extracts.md" in outcome.message
    assert outcome.message.endswith("Columns: notes.")


@pytest.mark.parametrize(
    ("extract", "renamed", "to"),
    [
        ("exclusions", "start_date", "exclusion_start_date"),
        ("annual_reviews", "review_held_date", "review_date"),
        ("children_missing_education", "closure_date", "date_closed"),
    ],
)
def test_renamed_column_rejects_the_file_naming_the_missing_one(tmp_path, warehouse, extract, renamed, to):
    header = [to if c == renamed else c for c in HEADERS[extract]]
    path = extract_file(tmp_path, extract, GOOD[extract], header=header)

    outcome = load(warehouse, extract, path)

    _assert_rejected_whole(warehouse, extract, path, outcome, "missing columns")
    assert outcome.message.endswith(f"Columns: {renamed}.")


@pytest.mark.parametrize("extract", list(HEADERS))
def test_file_name_without_a_quarter_is_rejected(tmp_path, warehouse, extract):
    path = extract_file(tmp_path, extract, GOOD[extract], name=f"{extract}_2023-24.csv")

    outcome = load(warehouse, extract, path)

    assert outcome.status == "rejected"
    assert outcome.message.startswith(f"{path}: rejected (no period in file name)")
    assert count(warehouse, f"raw.{extract}") == 0


# --- row-level quarantine --------------------------------------------------------------------

# case -> (extract, bad row placed at file row 3 between the two good rows, expected quarantine
# rows (row, column, rule exactly as stored, original value; identifiers as their pseudonyms)).
ROW_CASES = {
    # annual reviews
    "plan id missing": (
        "annual_reviews",
        ",CHILD-0009,2020-05-04,2022-09-12,2023-09-12,",
        [(3, "plan_id", "not_nullable", None)],
    ),
    "child id missing": (
        "annual_reviews",
        "PLAN-0009,,2020-05-04,2022-09-12,2023-09-12,",
        [(3, "child_id", "not_nullable", None)],
    ),
    "plan start missing (plan reviewed before)": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,,2022-09-12,2023-09-12,",
        [(3, "plan_start_date", "not_nullable", "")],
    ),
    "plan start impossible (plan reviewed before)": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,2019-02-30,2022-09-12,2023-09-12,",
        [(3, "plan_start_date", DATE_TYPE, "2019-02-30")],
    ),
    "plan start US style": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,05/20/2020,2022-09-12,2023-09-12,",
        [(3, "plan_start_date", DATE_TYPE, "05/20/2020")],
    ),
    "plan starts after the quarter end": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,2023-10-02,,2024-10-01,",
        [(3, "plan_start_date", "plan_start_date not after the file's quarter end", "2023-10-02")],
    ),
    "last review before the plan started": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,2021-05-04,2021-03-01,2022-03-01,",
        [(3, "last_review_date", "last_review_date not before plan_start_date", "2021-03-01")],
    ),
    "last review inside the quarter": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,2020-05-04,2023-07-10,2024-07-10,",
        [
            (
                3,
                "last_review_date",
                "last_review_date before the file's quarter started (a review in the quarter is review_held_date)",
                "2023-07-10",
            )
        ],
    ),
    "last review on the quarter's first day": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,2020-05-04,2023-07-01,2024-07-01,",
        [
            (
                3,
                "last_review_date",
                "last_review_date before the file's quarter started (a review in the quarter is review_held_date)",
                "2023-07-01",
            )
        ],
    ),
    "last review after the quarter end": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,2020-05-04,2023-10-03,2024-10-03,",
        [
            (
                3,
                "last_review_date",
                "last_review_date before the file's quarter started (a review in the quarter is review_held_date)",
                "2023-10-03",
            ),
            (3, "last_review_date", "last_review_date not after the file's quarter end", "2023-10-03"),
        ],
    ),
    "due date on the last review": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,2020-05-04,2022-09-12,2022-09-12,",
        [(3, "next_review_due_date", DUE_AFTER, "2022-09-12")],
    ),
    "due date before the plan started (never reviewed)": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,2023-02-01,,2023-01-15,",
        [(3, "next_review_due_date", DUE_AFTER, "2023-01-15")],
    ),
    "due date one day more than 12 months after the last review": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,2020-05-04,2022-09-12,2023-09-13,",
        [(3, "next_review_due_date", DUE_WITHIN, "2023-09-13")],
    ),
    "due date one day more than 12 months after the plan start": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,2022-10-01,,2023-10-02,",
        [(3, "next_review_due_date", DUE_WITHIN, "2023-10-02")],
    ),
    "due date two years after the last review": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,2020-05-04,2021-09-12,2023-09-12,",
        [(3, "next_review_due_date", DUE_WITHIN, "2023-09-12")],
    ),
    "review held before the plan started": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,2023-07-20,,2024-07-20,2023-07-10",
        [(3, "review_held_date", "review_held_date after the last review (or the plan start)", "2023-07-10")],
    ),
    "review held the day before the quarter": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,2020-05-04,2022-09-12,2023-09-12,2023-06-30",
        [(3, "review_held_date", "review_held_date in the file's quarter", "2023-06-30")],
    ),
    "review held after the quarter end": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,2020-05-04,2022-10-12,2023-10-12,2023-10-01",
        [(3, "review_held_date", "review_held_date not after the file's quarter end", "2023-10-01")],
    ),
    "review held on an impossible date": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,2020-05-04,2022-09-12,2023-09-12,2023-09-31",
        [(3, "review_held_date", DATE_TYPE, "2023-09-31")],
    ),
    # exclusions
    "exclusion id missing": (
        "exclusions",
        ",PUPIL-0009,URN-100009,primary,no_sen,suspension,2023-07-03,PD",
        [(3, "exclusion_id", "not_nullable", None)],
    ),
    "pupil id missing": (
        "exclusions",
        "EXC-0009,,URN-100009,primary,no_sen,suspension,2023-07-03,PD",
        [(3, "pupil_id", "not_nullable", None)],
    ),
    "school id missing": (
        "exclusions",
        "EXC-0009,PUPIL-0009,,primary,no_sen,suspension,2023-07-03,PD",
        [(3, "school_id", "not_nullable", "")],
    ),
    "phase not allowed": (
        "exclusions",
        "EXC-0009,PUPIL-0009,URN-100009,infant,no_sen,suspension,2023-07-03,PD",
        [(3, "school_phase", PHASES, "infant")],
    ),
    "phase in capitals": (
        "exclusions",
        "EXC-0009,PUPIL-0009,URN-100009,Secondary,no_sen,suspension,2023-07-03,PD",
        [(3, "school_phase", PHASES, "Secondary")],
    ),
    "phase missing": (
        "exclusions",
        "EXC-0009,PUPIL-0009,URN-100009,,no_sen,suspension,2023-07-03,PD",
        [(3, "school_phase", "not_nullable", "")],
    ),
    "sen status not allowed": (
        "exclusions",
        "EXC-0009,PUPIL-0009,URN-100009,primary,sen,suspension,2023-07-03,PD",
        [(3, "sen_status", SEN, "sen")],
    ),
    "sen status missing": (
        "exclusions",
        "EXC-0009,PUPIL-0009,URN-100009,primary,,suspension,2023-07-03,PD",
        [(3, "sen_status", "not_nullable", "")],
    ),
    "exclusion type under its old name": (
        "exclusions",
        "EXC-0009,PUPIL-0009,URN-100009,primary,no_sen,fixed_term,2023-07-03,PD",
        [(3, "exclusion_type", EXCLUSION_TYPES, "fixed_term")],
    ),
    "exclusion type missing": (
        "exclusions",
        "EXC-0009,PUPIL-0009,URN-100009,primary,no_sen,,2023-07-03,PD",
        [(3, "exclusion_type", "not_nullable", "")],
    ),
    "exclusion started the day before the quarter": (
        "exclusions",
        "EXC-0009,PUPIL-0009,URN-100009,primary,no_sen,suspension,2023-06-30,PD",
        [(3, "start_date", "start_date in the file's quarter", "2023-06-30")],
    ),
    "exclusion starts after the quarter end": (
        "exclusions",
        "EXC-0009,PUPIL-0009,URN-100009,primary,no_sen,suspension,2023-10-01,PD",
        [(3, "start_date", "start_date not after the file's quarter end", "2023-10-01")],
    ),
    "reason not a DfE code": (
        "exclusions",
        "EXC-0009,PUPIL-0009,URN-100009,primary,no_sen,suspension,2023-07-03,XX",
        [(3, "reason", REASONS, "XX")],
    ),
    "reason in lower case": (
        "exclusions",
        "EXC-0009,PUPIL-0009,URN-100009,primary,no_sen,suspension,2023-07-03,pd",
        [(3, "reason", REASONS, "pd")],
    ),
    "reason missing": (
        "exclusions",
        "EXC-0009,PUPIL-0009,URN-100009,primary,no_sen,suspension,2023-07-03,",
        [(3, "reason", "not_nullable", "")],
    ),
    # children missing education
    "case id missing": (
        "children_missing_education",
        ",CHILD-0009,2023-07-03,not_registered,,",
        [(3, "case_id", "not_nullable", None)],
    ),
    "cme child id missing": (
        "children_missing_education",
        "CME-0009,,2023-07-03,not_registered,,",
        [(3, "child_id", "not_nullable", None)],
    ),
    "referral date missing": (
        "children_missing_education",
        "CME-0009,CHILD-0009,,not_registered,,",
        [(3, "referral_date", "not_nullable", "")],
    ),
    "referral date impossible": (
        "children_missing_education",
        "CME-0009,CHILD-0009,2023-02-30,not_registered,,",
        [(3, "referral_date", DATE_TYPE, "2023-02-30")],
    ),
    "referred after the quarter end": (
        "children_missing_education",
        "CME-0009,CHILD-0009,2023-10-01,not_registered,,",
        [(3, "referral_date", "referral_date not after the file's quarter end", "2023-10-01")],
    ),
    "referral reason not allowed": (
        "children_missing_education",
        "CME-0009,CHILD-0009,2023-07-03,truancy,,",
        [(3, "referral_reason", REFERRAL_REASONS, "truancy")],
    ),
    "referral reason missing": (
        "children_missing_education",
        "CME-0009,CHILD-0009,2023-07-03,,,",
        [(3, "referral_reason", "not_nullable", "")],
    ),
    "outcome without a closure date": (
        "children_missing_education",
        "CME-0009,CHILD-0009,2023-07-03,not_registered,,returned_to_school",
        [(3, "closure_date", "closure_date present exactly when outcome is present", "")],
    ),
    "closure date without an outcome": (
        "children_missing_education",
        "CME-0009,CHILD-0009,2023-07-03,not_registered,2023-08-01,",
        [(3, "closure_date", "closure_date present exactly when outcome is present", "2023-08-01")],
    ),
    "outcome not allowed": (
        "children_missing_education",
        "CME-0009,CHILD-0009,2023-07-03,not_registered,2023-08-01,found",
        [(3, "outcome", OUTCOMES, "found")],
    ),
    "closed before it was referred": (
        "children_missing_education",
        "CME-0009,CHILD-0009,2023-07-10,other,2023-07-05,other",
        [(3, "closure_date", "closure_date not before referral_date", "2023-07-05")],
    ),
    "closed the day before the quarter": (
        "children_missing_education",
        "CME-0009,CHILD-0009,2023-05-01,other,2023-06-30,other",
        [(3, "closure_date", "closure_date case closed before the file's quarter started", "2023-06-30")],
    ),
    "closed after the quarter end": (
        "children_missing_education",
        "CME-0009,CHILD-0009,2023-09-01,other,2023-10-01,returned_to_school",
        [(3, "closure_date", "closure_date not after the file's quarter end", "2023-10-01")],
    ),
}


@pytest.mark.parametrize("case", list(ROW_CASES))
def test_bad_row_is_quarantined_with_row_column_rule_and_value(tmp_path, warehouse, case):
    extract, bad_row, expected = ROW_CASES[case]
    path = extract_file(tmp_path, extract, [GOOD[extract][0], bad_row, GOOD[extract][1]])

    outcome = load(warehouse, extract, path)

    assert quarantine_rows(warehouse) == expected
    assert (outcome.status, outcome.rows_in_file, outcome.rows_loaded, outcome.rows_quarantined) == ("loaded", 3, 2, 1)
    assert outcome.message == "loaded 2 of 3 rows, quarantined 1"
    assert loaded_row_numbers(warehouse, extract) == [2, 4]
    [entry] = load_log(warehouse)
    assert (
        entry["file_name"],
        entry["status"],
        entry["rows_in_file"],
        entry["rows_loaded"],
        entry["rows_quarantined"],
    ) == (path.name, "current", 3, 2, 1)
    assert warehouse.execute("select distinct load_id, extract, file_path from raw.quarantine").fetchall() == [
        (entry["load_id"], extract, str(path))
    ]


# A missing or unreadable date that other rules compare with is reported once, as the missing
# or unreadable date: the rules reading it (RowRule.reads) would fail only because of it (or,
# for an unreadable last review, fall back to the plan start), and the loader drops those echoes.
ECHO_CASES = {
    "due date missing": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,2020-05-04,2022-09-12,,",
        [(3, "next_review_due_date", "not_nullable", "")],
    ),
    "plan start missing (never reviewed)": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,,,2024-02-01,",
        [(3, "plan_start_date", "not_nullable", "")],
    ),
    "plan start impossible (never reviewed)": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,2023-02-30,,2024-02-01,",
        [(3, "plan_start_date", DATE_TYPE, "2023-02-30")],
    ),
    "last review impossible (taken as never reviewed)": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,2020-05-04,2022-09-31,2023-09-12,",
        [(3, "last_review_date", DATE_TYPE, "2022-09-31")],
    ),
    "due date impossible": (
        "annual_reviews",
        "PLAN-0009,CHILD-0009,2020-05-04,2022-09-12,2023-13-12,",
        [(3, "next_review_due_date", DATE_TYPE, "2023-13-12")],
    ),
    "exclusion start date missing": (
        "exclusions",
        "EXC-0009,PUPIL-0009,URN-100009,primary,no_sen,suspension,,PD",
        [(3, "start_date", "not_nullable", "")],
    ),
    "exclusion start date impossible": (
        "exclusions",
        "EXC-0009,PUPIL-0009,URN-100009,primary,no_sen,suspension,2023-09-31,PD",
        [(3, "start_date", DATE_TYPE, "2023-09-31")],
    ),
    "cme closure date impossible (with its outcome)": (
        "children_missing_education",
        "CME-0009,CHILD-0009,2023-07-03,other,2023-09-31,other",
        [(3, "closure_date", DATE_TYPE, "2023-09-31")],
    ),
}


@pytest.mark.parametrize("case", list(ECHO_CASES))
def test_missing_date_is_reported_once(tmp_path, warehouse, case):
    extract, bad_row, expected = ECHO_CASES[case]
    path = extract_file(tmp_path, extract, [GOOD[extract][0], bad_row, GOOD[extract][1]])

    outcome = load(warehouse, extract, path)

    assert (outcome.rows_loaded, outcome.rows_quarantined) == (2, 1)
    assert quarantine_rows(warehouse) == expected
    assert loaded_row_numbers(warehouse, extract) == [2, 4]


@pytest.mark.parametrize(
    ("extract", "first", "second"),
    [
        (
            "annual_reviews",
            "PLAN-0005,CHILD-0005,2021-01-04,2022-12-01,2023-12-01,",
            "PLAN-0005,CHILD-0006,2022-03-04,2023-03-01,2024-03-01,",
        ),
        (
            "exclusions",
            "EXC-0005,PUPIL-0005,URN-100005,primary,no_sen,suspension,2023-07-04,PD",
            "EXC-0005,PUPIL-0006,URN-100006,special,ehc_plan,suspension,2023-07-05,VA",
        ),
        (
            "children_missing_education",
            "CME-0005,CHILD-0005,2023-07-03,other,,",
            "CME-0005,CHILD-0006,2023-07-04,not_attending,,",
        ),
    ],
)
def test_duplicate_id_within_a_file_quarantines_both_rows(tmp_path, warehouse, extract, first, second):
    path = extract_file(tmp_path, extract, [GOOD[extract][0], first, second, GOOD[extract][1]])

    outcome = load(warehouse, extract, path)

    key = ID_COLUMNS[extract][0]
    raw_id = first.split(",")[0]
    assert quarantine_rows(warehouse) == [
        (3, key, "unique within the file", pseudonym(raw_id)),
        (4, key, "unique within the file", pseudonym(raw_id)),
    ]
    assert (outcome.rows_in_file, outcome.rows_loaded, outcome.rows_quarantined) == (4, 2, 2)
    assert loaded_row_numbers(warehouse, extract) == [2, 5]


def test_one_row_breaking_several_rules_counts_once(tmp_path, warehouse):
    bad = "EXC-0009,PUPIL-0009,URN-100009,infant,sen,fixed_term,2023-06-30,XX"
    path = extract_file(tmp_path, "exclusions", [bad, GOOD["exclusions"][0]])

    outcome = load(warehouse, "exclusions", path)

    assert quarantine_rows(warehouse) == [
        (2, "exclusion_type", EXCLUSION_TYPES, "fixed_term"),
        (2, "reason", REASONS, "XX"),
        (2, "school_phase", PHASES, "infant"),
        (2, "sen_status", SEN, "sen"),
        (2, "start_date", "start_date in the file's quarter", "2023-06-30"),
    ]
    assert outcome.message == "loaded 1 of 2 rows, quarantined 1"


# --- the boundaries of the rules ---------------------------------------------------------------


def test_annual_review_due_exactly_12_months_after_passes_and_a_day_later_fails(tmp_path, warehouse):
    path = extract_file(
        tmp_path,
        "annual_reviews",
        [
            "PLAN-0001,CHILD-0001,2020-05-04,2022-09-12,2023-09-12,",  # row 2: 12 months after the last review
            "PLAN-0002,CHILD-0002,2020-05-04,2022-09-12,2023-09-13,",  # row 3: one day later
            "PLAN-0003,CHILD-0003,2022-10-01,,2023-10-01,",  # row 4: 12 months after the plan start
            "PLAN-0004,CHILD-0004,2022-10-01,,2023-10-02,",  # row 5: one day later
            "PLAN-0005,CHILD-0005,2020-01-06,2022-08-31,2023-08-31,",  # row 6: month end
            "PLAN-0006,CHILD-0006,2020-01-06,2022-08-31,2023-09-01,",  # row 7: one day later
            "PLAN-0007,CHILD-0007,2020-01-06,2022-09-20,2023-03-20,",  # row 8: six months (earlier is allowed)
            "PLAN-0008,CHILD-0008,2020-01-06,2023-06-30,2024-06-30,",  # row 9: reviewed the day before the quarter
            "PLAN-0009,CHILD-0009,2020-01-06,2022-07-01,2023-07-01,2023-07-01",  # row 10: held on the first day
            "PLAN-0010,CHILD-0010,2023-09-30,,2024-09-30,",  # row 11: plan started on the quarter's last day
            "PLAN-0011,CHILD-0011,2020-01-06,2022-09-30,2023-09-30,2023-09-30",  # row 12: held on the last day
        ],
    )

    outcome = load(warehouse, "annual_reviews", path)

    assert quarantine_rows(warehouse) == [
        (3, "next_review_due_date", DUE_WITHIN, "2023-09-13"),
        (5, "next_review_due_date", DUE_WITHIN, "2023-10-02"),
        (7, "next_review_due_date", DUE_WITHIN, "2023-09-01"),
    ]
    assert (outcome.rows_loaded, outcome.rows_quarantined) == (8, 3)
    assert loaded_row_numbers(warehouse, "annual_reviews") == [2, 4, 6, 8, 9, 10, 11, 12]


def test_exclusion_on_the_quarters_first_day_passes_and_the_day_before_fails(tmp_path, warehouse):
    path = extract_file(
        tmp_path,
        "exclusions",
        [
            "EXC-0001,PUPIL-0001,URN-100001,primary,no_sen,suspension,2023-07-01,PD",  # row 2: first day
            "EXC-0002,PUPIL-0002,URN-100001,primary,no_sen,suspension,2023-06-30,PD",  # row 3: the day before
            "EXC-0003,PUPIL-0003,URN-100003,alternative_provision,sen_support,permanent,2023-09-30,MT",  # row 4: last day
            "EXC-0004,PUPIL-0004,URN-100003,alternative_provision,sen_support,permanent,2023-10-01,MT",  # row 5: day after
            "EXC-0005,PUPIL-0005,URN-100005,special,ehc_plan,suspension,01/07/2023,VA",  # row 6: UK date, first day
        ],
    )

    outcome = load(warehouse, "exclusions", path)

    assert quarantine_rows(warehouse) == [
        (3, "start_date", "start_date in the file's quarter", "2023-06-30"),
        (5, "start_date", "start_date not after the file's quarter end", "2023-10-01"),
    ]
    assert (outcome.rows_loaded, outcome.rows_quarantined) == (3, 2)
    assert warehouse.execute("select source_row_number, start_date from raw.exclusions order by 1").fetchall() == [
        (2, date(2023, 7, 1)),
        (4, date(2023, 9, 30)),
        (6, date(2023, 7, 1)),
    ]


def test_cme_case_closed_on_the_quarters_first_day_passes_and_the_day_before_fails(tmp_path, warehouse):
    path = extract_file(
        tmp_path,
        "children_missing_education",
        [
            "CME-0001,CHILD-0001,2023-05-01,other,2023-07-01,returned_to_school",  # row 2: closed on the first day
            "CME-0002,CHILD-0002,2023-05-01,other,2023-06-30,returned_to_school",  # row 3: closed the day before
            "CME-0003,CHILD-0003,2023-09-30,not_registered,,",  # row 4: referred on the last day
            "CME-0004,CHILD-0004,2023-10-01,not_registered,,",  # row 5: referred the day after
            "CME-0005,CHILD-0005,2023-08-01,other,2023-08-01,left_england",  # row 6: closed the day it was referred
            "CME-0006,CHILD-0006,2021-11-15,moved_address_unknown,,",  # row 7: open for almost two years
        ],
    )

    outcome = load(warehouse, "children_missing_education", path)

    assert quarantine_rows(warehouse) == [
        (3, "closure_date", "closure_date case closed before the file's quarter started", "2023-06-30"),
        (5, "referral_date", "referral_date not after the file's quarter end", "2023-10-01"),
    ]
    assert (outcome.rows_loaded, outcome.rows_quarantined) == (4, 2)
    assert loaded_row_numbers(warehouse, "children_missing_education") == [2, 4, 6, 7]


def test_identifiers_are_pseudonymised_and_school_ids_kept(tmp_path, warehouse):
    for extract in HEADERS:
        load(warehouse, extract, extract_file(tmp_path, extract, GOOD[extract]))

    for extract, columns in ID_COLUMNS.items():
        for column in columns:
            stored = {r[0] for r in warehouse.execute(f"select {column} from raw.{extract}").fetchall()}
            position = HEADERS[extract].index(column)
            assert stored == {pseudonym(row.split(",")[position]) for row in GOOD[extract]}, (extract, column)
    # A school's URN identifies a school, not a child: stored as it is.
    assert sorted(r[0] for r in warehouse.execute("select school_id from raw.exclusions").fetchall()) == [
        "URN-100001",
        "URN-100002",
    ]


# --- aggregate returns: NEET and school census -------------------------------------------------

NEET_HEADER = "month,age,send_status,cohort,neet,not_known"
NEET_GOOD = ["2023-09,16,ehc_plan,320,25,60", "2023-09,17,no_send,5600,150,1300"]
CENSUS_HEADER = "academic_year,school_phase,sen_status,headcount"
CENSUS_GOOD = ["2022/23,middle,sen_support,1045", "2022/23,special,ehc_plan,1530"]

RETURN_CASES = {
    # NEET
    "month 2023-13": ("neet", "2023-13,16,no_send,5600,150,300", [(3, "month", "a month like 2023-09", "2023-13")]),
    "month 2023-00": ("neet", "2023-00,16,no_send,5600,150,300", [(3, "month", "a month like 2023-09", "2023-00")]),
    "month without its zero": (
        "neet",
        "2023-9,16,no_send,5600,150,300",
        [(3, "month", "a month like 2023-09", "2023-9")],
    ),
    "month as a name": ("neet", "Sep-23,16,no_send,5600,150,300", [(3, "month", "a month like 2023-09", "Sep-23")]),
    "month missing": ("neet", ",16,no_send,5600,150,300", [(3, "month", "not_nullable", "")]),
    "age 18": ("neet", "2023-10,18,no_send,5600,150,300", [(3, "age", "isin(['16', '17'])", "18")]),
    "age missing": ("neet", "2023-10,,no_send,5600,150,300", [(3, "age", "not_nullable", "")]),
    "send status of the census": (
        "neet",
        "2023-10,16,no_sen,5600,150,300",
        [(3, "send_status", "isin(['ehc_plan', 'sen_support', 'no_send'])", "no_sen")],
    ),
    "negative neet": ("neet", "2023-10,16,no_send,5600,-1,300", [(3, "neet", "0 or more", "-1")]),
    "negative not known": ("neet", "2023-10,16,no_send,5600,150,-300", [(3, "not_known", "0 or more", "-300")]),
    "fractional cohort": ("neet", "2023-10,16,no_send,5600.5,150,300", [(3, "cohort", "a whole number", "5600.5")]),
    "fractional neet": ("neet", "2023-10,16,no_send,5600,2.5,300", [(3, "neet", "a whole number", "2.5")]),
    "cohort not a number": ("neet", "2023-10,16,no_send,lots,150,300", [(3, "cohort", "type: a whole number", "lots")]),
    "not known missing": ("neet", "2023-10,16,no_send,5600,150,", [(3, "not_known", "not_nullable", "")]),
    "neet plus not known above the cohort": (
        "neet",
        "2023-10,16,ehc_plan,300,120,181",
        [(3, "neet", "neet + not_known not above the cohort", "120")],
    ),
    "neet alone above the cohort": (
        "neet",
        "2023-10,16,ehc_plan,300,301,0",
        [(3, "neet", "neet + not_known not above the cohort", "301")],
    ),
    # school census
    "academic year with a hyphen": (
        "school_census",
        "2022-23,primary,no_sen,30500",
        [(3, "academic_year", "an academic year like 2022/23", "2022-23")],
    ),
    "academic year not consecutive": (
        "school_census",
        "2022/24,primary,no_sen,30500",
        [(3, "academic_year", "an academic year like 2022/23", "2022/24")],
    ),
    "academic year short": (
        "school_census",
        "22/23,primary,no_sen,30500",
        [(3, "academic_year", "an academic year like 2022/23", "22/23")],
    ),
    "academic year missing": ("school_census", ",primary,no_sen,30500", [(3, "academic_year", "not_nullable", "")]),
    "phase not allowed": (
        "school_census",
        "2022/23,nursery,no_sen,1200",
        [(3, "school_phase", PHASES, "nursery")],
    ),
    "sen status of NEET": ("school_census", "2022/23,primary,no_send,30500", [(3, "sen_status", SEN, "no_send")]),
    "negative headcount": ("school_census", "2022/23,primary,no_sen,-3", [(3, "headcount", "0 or more", "-3")]),
    "fractional headcount": (
        "school_census",
        "2022/23,primary,no_sen,30500.5",
        [(3, "headcount", "a whole number", "30500.5")],
    ),
    "headcount not a number": (
        "school_census",
        "2022/23,primary,no_sen,n/a",
        [(3, "headcount", "type: a whole number", "n/a")],
    ),
    "headcount missing": ("school_census", "2022/23,primary,no_sen,", [(3, "headcount", "not_nullable", "")]),
}
RETURNS = {"neet": (NEET, NEET_HEADER, NEET_GOOD), "school_census": (SCHOOL_CENSUS, CENSUS_HEADER, CENSUS_GOOD)}


def load_returns(tmp_path: Path, folder: ReturnFolder) -> tuple[duckdb.DuckDBPyConnection, list]:
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    return connection, load_returns_folder(connection, folder, tmp_path / folder.folder)


def return_quarantine(connection: duckdb.DuckDBPyConnection) -> list[tuple]:
    return connection.execute(
        "select source_row_number, column_name, check_name, original_value from raw.quarantine "
        "order by file_path, source_row_number, column_name, check_name"
    ).fetchall()


@pytest.mark.parametrize("case", list(RETURN_CASES))
def test_bad_return_row_is_quarantined_with_row_column_rule_and_value(tmp_path, case):
    name, bad_row, expected = RETURN_CASES[case]
    folder, header, good = RETURNS[name]
    path = write_csv(tmp_path / folder.folder, f"{name} return.csv", [header, good[0], bad_row, good[1]])

    connection, [outcome] = load_returns(tmp_path, folder)

    assert return_quarantine(connection) == expected
    assert outcome.message == f"{path.name}: {name}: loaded 2 of 3 rows, quarantined 1"
    assert (outcome.layout, outcome.rows_in_file, outcome.rows_loaded, outcome.rows_quarantined) == (name, 3, 2, 1)
    assert connection.execute(f"select source_row_number from raw.{name} order by 1").fetchall() == [(2,), (4,)]
    assert connection.execute("select distinct extract, file_path from raw.quarantine").fetchall() == [
        (name, str(path))
    ]
    connection.close()


def test_neet_boundaries_and_number_forms_load(tmp_path):
    write_csv(
        tmp_path / "neet",
        "neet.csv",
        [
            NEET_HEADER,
            "2023-10,16,ehc_plan,300,120,180",  # neet + not known = the cohort
            '2023-10,17,no_send,"5,600",0,0',  # thousands separator; zeros
            "2023-10,16,sen_support,600.0,30,12",  # a whole number written with .0
            " 2023-11 , 17 , sen_support , 610 , 31 , 9 ",  # surrounding spaces
        ],
    )

    connection, [outcome] = load_returns(tmp_path, NEET)

    assert (outcome.rows_loaded, outcome.rows_quarantined) == (4, 0)
    assert connection.execute(
        "select month, age, send_status, cohort, neet, not_known from raw.neet order by source_row_number"
    ).fetchall() == [
        ("2023-10", "16", "ehc_plan", 300.0, 120.0, 180.0),
        ("2023-10", "17", "no_send", 5600.0, 0.0, 0.0),
        ("2023-10", "16", "sen_support", 600.0, 30.0, 12.0),
        ("2023-11", "17", "sen_support", 610.0, 31.0, 9.0),
    ]
    connection.close()


@pytest.mark.parametrize("name", list(RETURNS))
def test_same_key_in_two_files_is_quarantined_in_both(tmp_path, name):
    folder, header, good = RETURNS[name]
    first = write_csv(tmp_path / folder.folder, f"{name}_a.csv", [header, good[0], good[1]])
    second = write_csv(tmp_path / folder.folder, f"{name}_b.csv", [header, good[1].rsplit(",", 1)[0] + ",999"])

    connection, outcomes = load_returns(tmp_path, folder)

    key_columns = ",".join(folder.layouts[0].key)
    key_value = ", ".join(good[1].split(",")[: len(folder.layouts[0].key)])
    assert connection.execute(
        "select file_path, source_row_number, column_name, check_name, original_value from raw.quarantine "
        "order by file_path, source_row_number"
    ).fetchall() == [
        (str(first), 3, key_columns, f"unique across the {folder.folder} folder", key_value),
        (str(second), 2, key_columns, f"unique across the {folder.folder} folder", key_value),
    ]
    assert {o.path.name: o.message for o in outcomes} == {
        first.name: f"{first.name}: {name}: loaded 1 of 2 rows, quarantined 1",
        second.name: f"{second.name}: {name}: loaded 0 of 1 rows, quarantined 1",
    }
    assert connection.execute(f"select source_file, source_row_number from raw.{name}").fetchall() == [(str(first), 2)]
    connection.close()


@pytest.mark.parametrize("name", list(RETURNS))
def test_same_key_twice_in_one_file_is_quarantined_twice(tmp_path, name):
    folder, header, good = RETURNS[name]
    write_csv(tmp_path / folder.folder, f"{name}.csv", [header, good[0], good[1], good[1]])

    connection, [outcome] = load_returns(tmp_path, folder)

    assert [(r[0], r[2]) for r in return_quarantine(connection)] == [
        (3, f"unique across the {folder.folder} folder"),
        (4, f"unique across the {folder.folder} folder"),
    ]
    assert (outcome.rows_loaded, outcome.rows_quarantined) == (1, 2)
    connection.close()


@pytest.mark.parametrize(
    ("name", "header", "row", "columns"),
    [
        (
            "neet",
            "month,age,send_status,cohort,neet",
            "2023-09,16,ehc_plan,320,25",
            "month, age, send_status, cohort, neet",
        ),
        (
            "neet",
            "month,age,send_status,cohort,neet,not_known,notes",
            "2023-09,16,ehc_plan,320,25,60,x",
            "month, age, send_status, cohort, neet, not_known, notes",
        ),
        (
            "neet",
            "month,age,sen_status,cohort,neet,not_known",
            "2023-09,16,ehc_plan,320,25,60",
            "month, age, sen_status, cohort, neet, not_known",
        ),
        (
            "school_census",
            "academic_year,school_phase,sen_status,pupils",
            "2022/23,primary,no_sen,30500",
            "academic_year, school_phase, sen_status, pupils",
        ),
        (
            "school_census",
            "academic_year,school_phase,headcount",
            "2022/23,primary,30500",
            "academic_year, school_phase, headcount",
        ),
    ],
)
def test_file_with_missing_or_unknown_columns_is_not_loaded_and_named_with_its_columns(
    tmp_path, name, header, row, columns
):
    folder, good_header, good = RETURNS[name]
    bad = write_csv(tmp_path / folder.folder, "bad.csv", [header, row])
    write_csv(tmp_path / folder.folder, "good.csv", [good_header, *good])

    connection, outcomes = load_returns(tmp_path, folder)

    by_name = {o.path.name: o for o in outcomes}
    assert by_name["bad.csv"].layout is None
    assert by_name["bad.csv"].message == (
        f"{bad}: layout not recognised (not {folder.description}); its columns: {columns}"
    )
    assert by_name["good.csv"].rows_loaded == 2
    assert connection.execute(f"select count(*) from raw.{name}").fetchone()[0] == 2
    assert connection.execute("select count(*) from raw.quarantine").fetchone()[0] == 0
    connection.close()


def test_returns_are_reloaded_whole_and_their_quarantine_replaced(tmp_path):
    folder = tmp_path / "school_census"
    bad = write_csv(folder, "census.csv", [CENSUS_HEADER, CENSUS_GOOD[0], "2022-23,primary,no_sen,30500"])
    connection, _ = load_returns(tmp_path, SCHOOL_CENSUS)
    assert connection.execute("select count(*) from raw.quarantine").fetchone()[0] == 1

    write_csv(folder, bad.name, [CENSUS_HEADER, CENSUS_GOOD[0], "2022/23,primary,no_sen,30500"])
    outcomes = load_returns_folder(connection, SCHOOL_CENSUS, folder)

    assert [o.message for o in outcomes] == ["census.csv: school_census: loaded 2 of 2 rows, quarantined 0"]
    assert connection.execute("select count(*) from raw.quarantine").fetchone()[0] == 0
    assert connection.execute(
        "select academic_year, school_phase, sen_status, headcount from raw.school_census order by 2"
    ).fetchall() == [("2022/23", "middle", "sen_support", 1045.0), ("2022/23", "primary", "no_sen", 30500.0)]
    connection.close()
