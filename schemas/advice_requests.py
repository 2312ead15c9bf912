"""Statutory advice requests for EHC needs assessments: one row per advice request."""

from __future__ import annotations

import pandas as pd

from schemas.extract_spec import ExtractSpec, code_column, date_column, id_column, not_before, open_during_period

ADVICE_TYPES = ["educational_psychology", "health", "social_care", "education", "other"]


def closed_on(frame: pd.DataFrame) -> pd.Series:
    """Advice is closed when it is received."""
    return frame["advice_received_date"]


ADVICE_REQUESTS = ExtractSpec(
    name="advice_requests",
    description="Statutory advice requests for EHC needs assessments, one row per advice request",
    kinds={
        "advice_request_id": "id",
        "request_id": "id",
        "advice_type": "code",
        "advice_requested_date": "date",
        "advice_received_date": "date",
    },
    columns={
        "advice_request_id": id_column(),
        "request_id": id_column(),
        "advice_type": code_column(ADVICE_TYPES, required=True),
        "advice_requested_date": date_column(required=True),
        "advice_received_date": date_column(required=False),
    },
    key="advice_request_id",
    row_rules=(
        not_before("advice_received_date", "advice_requested_date"),
        open_during_period(closed_on, "advice_requested_date", reads=("advice_received_date",)),
    ),
    dates_must_not_follow_period_end=("advice_requested_date", "advice_received_date"),
)
