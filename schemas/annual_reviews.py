"""Annual reviews of EHC plans: one row per plan maintained at the end of the file's quarter.

`last_review_date` is the last review held before the quarter (blank if the plan has never
been reviewed), `next_review_due_date` the date the next review falls due, and
`review_held_date` the date that review was held, if it was held in the quarter. A plan must
be reviewed at least every 12 months (Children and Families Act 2014 s.44; SEND Regulations
2014 reg. 18), so the due date can be no later than 12 months after the last review, or
after the plan started when it has not been reviewed yet.
"""

from __future__ import annotations

import pandas as pd

from schemas.extract_spec import PERIOD_START, ExtractSpec, RowRule, date_column, id_column, not_before

STATUTORY_REVIEW_MONTHS = 12
# The date a plan's reviews are counted from: its last review, or its start if never reviewed.
REVIEWED_OR_STARTED = ("last_review_date", "plan_start_date")


def _reviewed_or_started(frame: pd.DataFrame) -> pd.Series:
    return frame["last_review_date"].fillna(frame["plan_start_date"])


def _due_within_statutory_months(frame: pd.DataFrame) -> pd.Series:
    latest_due = _reviewed_or_started(frame) + pd.DateOffset(months=STATUTORY_REVIEW_MONTHS)
    return frame["next_review_due_date"] <= latest_due


def _due_after_last_review(frame: pd.DataFrame) -> pd.Series:
    return frame["next_review_due_date"] > _reviewed_or_started(frame)


def _held_after_last_review(frame: pd.DataFrame) -> pd.Series:
    return frame["review_held_date"].isna() | (frame["review_held_date"] > _reviewed_or_started(frame))


def _last_review_before_quarter(frame: pd.DataFrame) -> pd.Series:
    return frame["last_review_date"].isna() | (frame["last_review_date"] < frame[PERIOD_START])


def _held_in_quarter(frame: pd.DataFrame) -> pd.Series:
    return frame["review_held_date"].isna() | (frame["review_held_date"] >= frame[PERIOD_START])


ANNUAL_REVIEWS = ExtractSpec(
    name="annual_reviews",
    description="EHC plans maintained at the quarter end and their annual reviews, one row per plan",
    kinds={
        "plan_id": "id",
        "child_id": "id",
        "plan_start_date": "date",
        "last_review_date": "date",
        "next_review_due_date": "date",
        "review_held_date": "date",
    },
    columns={
        "plan_id": id_column(),
        "child_id": id_column(),
        "plan_start_date": date_column(required=True),
        "last_review_date": date_column(required=False),
        "next_review_due_date": date_column(required=True),
        "review_held_date": date_column(required=False),
    },
    key="plan_id",
    row_rules=(
        not_before("last_review_date", "plan_start_date"),
        RowRule("last_review_date", "before the file's quarter started (a review in the quarter is review_held_date)",
                _last_review_before_quarter),
        RowRule("next_review_due_date", "after the last review (or the plan start)", _due_after_last_review,
                reads=REVIEWED_OR_STARTED),
        RowRule("next_review_due_date",
                f"within {STATUTORY_REVIEW_MONTHS} months of the last review (or the plan start)",
                _due_within_statutory_months, reads=REVIEWED_OR_STARTED),
        RowRule("review_held_date", "after the last review (or the plan start)", _held_after_last_review,
                reads=REVIEWED_OR_STARTED),
        RowRule("review_held_date", "in the file's quarter", _held_in_quarter),
    ),
    dates_must_not_follow_period_end=("plan_start_date", "last_review_date", "review_held_date"),
)
