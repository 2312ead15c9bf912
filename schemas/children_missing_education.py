"""Children missing education (CME): one row per case open at some time in the file's quarter
(referred before the quarter ends, not closed before it starts)."""

from __future__ import annotations

from schemas.contract import (
    Contract,
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

CHILDREN_MISSING_EDUCATION = Contract(
    name="children_missing_education",
    folder="children_missing_education",
    description="Children missing education cases open in the quarter, one row per case",
    fields=(
        id_column("case_id", "the case system's id of the CME case", doc_allowed="unique within the file"),
        id_column("child_id", "the child's id", "pseudonymised; `cme_children` counts children, not cases"),
        date_column(
            "referral_date",
            "day the child was referred as missing education",
            required=True,
            used_by="`cme_referrals`",
            doc_allowed="on or before the quarter end",
        ),
        code_column(
            "referral_reason", REFERRAL_REASONS, "why the child was referred", required=True, used_by="breakdowns"
        ),
        date_column(
            "closure_date",
            "day the case was closed",
            required=False,
            used_by="`cme_closures`, `cme_open_at_period_end`, `cme_median_days_open`",
            doc_allowed="not before `referral_date`; not before the quarter started; empty = still open",
            doc_required="when `outcome` is set",
        ),
        code_column(
            "outcome",
            OUTCOMES,
            "how the case ended",
            required=False,
            used_by="breakdowns",
            doc_required="with `closure_date`",
        ),
    ),
    key=("case_id",),
    row_rules=(
        given_together("outcome", "closure_date"),
        not_before("closure_date", "referral_date"),
        open_during_period("closure_date", "closure_date"),
    ),
    dates_must_not_follow_period_end=("referral_date", "closure_date"),
)
