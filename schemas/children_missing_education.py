"""Children missing education (CME): one row per case open at some time in the file's quarter
(referred before the quarter ends, not closed before it starts)."""

from __future__ import annotations

import pandas as pd

from schemas.extract_spec import (
    ExtractSpec,
    code_column,
    date_column,
    given_together,
    id_column,
    not_before,
    open_during_period,
)

OUTCOMES = [
    "returned_to_school",  # on roll at a school again
    "other_provision",  # alternative or other suitable provision
    "elective_home_education",
    "moved_out_of_area",  # the other authority has been told
    "left_england",
    "other",
]
REFERRAL_REASONS = [
    "not_registered",  # never on a school roll
    "removed_from_roll",  # deleted from a school's admission register, destination unknown
    "moved_address_unknown",
    "not_attending",
    "other",
]


def closed_on(frame: pd.DataFrame) -> pd.Series:
    return frame["closure_date"]


CHILDREN_MISSING_EDUCATION = ExtractSpec(
    name="children_missing_education",
    description="Children missing education cases open in the quarter, one row per case",
    kinds={
        "case_id": "id",
        "child_id": "id",
        "referral_date": "date",
        "referral_reason": "code",
        "closure_date": "date",
        "outcome": "code",
    },
    columns={
        "case_id": id_column(),
        "child_id": id_column(),
        "referral_date": date_column(required=True),
        "referral_reason": code_column(REFERRAL_REASONS, required=True),
        "closure_date": date_column(required=False),
        "outcome": code_column(OUTCOMES, required=False),
    },
    key="case_id",
    row_rules=(
        given_together("outcome", "closure_date"),
        not_before("closure_date", "referral_date"),
        open_during_period(closed_on, "closure_date"),
    ),
    dates_must_not_follow_period_end=("referral_date", "closure_date"),
)
