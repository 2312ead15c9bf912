"""Statutory advice requests for EHC needs assessments: one row per advice request."""

from __future__ import annotations

from schemas.contract import Contract, code_column, date_column, id_column, not_before, open_during_period

ADVICE_TYPES = ["educational_psychology", "health", "social_care", "education", "other"]

ADVICE_REQUESTS = Contract(
    name="advice_requests",
    folder="advice_requests",
    description="Statutory advice requests for EHC needs assessments, one row per advice request",
    fields=(
        id_column(
            "advice_request_id", "the case system's id of the advice request", doc_allowed="unique within the file"
        ),
        id_column(
            "request_id",
            "the EHC needs assessment request the advice is for",
            "pseudonymised with the same key, so it still joins",
        ),
        code_column("advice_type", ADVICE_TYPES, "who was asked for advice", required=True, used_by="`advice_6wk_*`"),
        date_column(
            "advice_requested_date",
            "day the advice was requested (day 0)",
            required=True,
            used_by="`advice_6wk`",
            doc_allowed="on or before the quarter end",
        ),
        date_column(
            "advice_received_date",
            "day the advice was returned",
            required=False,
            used_by="`advice_6wk`",
            doc_allowed="not before `advice_requested_date`; empty = still outstanding",
        ),
    ),
    key=("advice_request_id",),
    row_rules=(
        not_before("advice_received_date", "advice_requested_date"),
        # Advice is closed when it is received.
        open_during_period("advice_received_date", "advice_requested_date", reads=("advice_received_date",)),
    ),
    dates_must_not_follow_period_end=("advice_requested_date", "advice_received_date"),
    notes="An advice request is *closed* on its `advice_received_date`.",
)
