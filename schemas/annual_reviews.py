"""Annual reviews of EHC plans: one row per plan maintained at the end of the file's quarter.

`last_review_date` is the last review held before the quarter (blank if the plan has never
been reviewed), `next_review_due_date` the date the next review falls due, and
`review_held_date` the date that review was held, if it was held in the quarter. A plan must
be reviewed at least every 12 months (Children and Families Act 2014 s.44; SEND Regulations
2014 reg. 18), so the due date can be no later than 12 months after the last review, or
after the plan started when it has not been reviewed yet.
"""

from __future__ import annotations

from schemas.contract import PERIOD_START, Contract, date_column, id_column, not_before, rule

STATUTORY_REVIEW_MONTHS = 12
# The date a plan's reviews are counted from: its last review, or its start if never reviewed.
REVIEWED_OR_STARTED = ("last_review_date", "plan_start_date")
_COUNTED_FROM = "coalesce(last_review_date, plan_start_date)"

ANNUAL_REVIEWS = Contract(
    name="annual_reviews",
    folder="annual_reviews",
    description="EHC plans maintained at the quarter end and their annual reviews, one row per plan",
    fields=(
        id_column("plan_id", "the case system's id of the plan", doc_allowed="unique within the file"),
        id_column("child_id", "the child's id"),
        date_column(
            "plan_start_date",
            "day the plan was first issued",
            required=True,
            used_by="due date when never reviewed",
            doc_allowed="on or before the quarter end",
        ),
        date_column(
            "last_review_date",
            "the last review held before this quarter",
            required=False,
            doc_allowed="not before `plan_start_date`; **before the quarter started**; empty = never reviewed",
        ),
        date_column(
            "next_review_due_date",
            "the day the next review falls due",
            required=True,
            used_by="`annual_reviews_overdue*`, `annual_reviews_on_time_pct`",
            doc_allowed="after the last review (or plan start) and **no more than 12 months after it**",
        ),
        date_column(
            "review_held_date",
            "the day that due review was held, if it was held this quarter",
            required=False,
            used_by="as above",
            doc_allowed="after the last review (or plan start); **inside the file's quarter**",
        ),
    ),
    key=("plan_id",),
    row_rules=(
        not_before("last_review_date", "plan_start_date"),
        rule(
            "last_review_date",
            "before the file's quarter started (a review in the quarter is review_held_date)",
            f"last_review_date is null or last_review_date < {PERIOD_START}",
        ),
        rule(
            "next_review_due_date",
            "after the last review (or the plan start)",
            f"coalesce(next_review_due_date > {_COUNTED_FROM}, false)",
            reads=REVIEWED_OR_STARTED,
        ),
        rule(
            "next_review_due_date",
            f"within {STATUTORY_REVIEW_MONTHS} months of the last review (or the plan start)",
            f"coalesce(next_review_due_date <= {_COUNTED_FROM} + interval {STATUTORY_REVIEW_MONTHS} month, false)",
            reads=REVIEWED_OR_STARTED,
        ),
        rule(
            "review_held_date",
            "after the last review (or the plan start)",
            f"review_held_date is null or coalesce(review_held_date > {_COUNTED_FROM}, false)",
            reads=REVIEWED_OR_STARTED,
        ),
        rule(
            "review_held_date",
            "in the file's quarter",
            f"review_held_date is null or review_held_date >= {PERIOD_START}",
        ),
    ),
    dates_must_not_follow_period_end=("plan_start_date", "last_review_date", "review_held_date"),
    notes=(
        "A review held in the quarter appears as `review_held_date`; in the next quarter's file it is\n"
        "that plan's `last_review_date` and a new due date follows. The 12-month rule lives in\n"
        "`schemas/annual_reviews.py` (`STATUTORY_REVIEW_MONTHS`): a due date exactly 12 months after\n"
        "the last review passes, one day later is quarantined."
    ),
)
