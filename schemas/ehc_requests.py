"""Requests for an EHC needs assessment: one row per request (docs/extracts.md)."""

from __future__ import annotations

import pandas as pd

from schemas.extract_spec import (
    ExtractSpec,
    RowRule,
    code_column,
    date_column,
    given_together,
    id_column,
    integer_column,
    not_before,
    open_during_period,
)

DECISIONS = ["assess", "not_assess", "withdrawn"]
ASSESSMENT_OUTCOMES = ["plan_issued", "plan_not_issued", "withdrawn"]
# SEND Regulations 2014, regulation 10(4) (also 13(3)): the lawful exceptions to the timescales.
EXCEPTION_REASONS = ["school_closure", "personal_circumstances", "absent_from_area", "missed_appointment"]
# Primary type of need, as coded in DfE's SEN2 return.
PRIMARY_NEEDS = ["SPLD", "MLD", "SLD", "PMLD", "SEMH", "SLCN", "HI", "VI", "MSI", "PD", "ASD", "OTH", "NSA"]


def closed_on(frame: pd.DataFrame) -> pd.Series:
    """A request closes when it is refused or withdrawn, or when its assessment ends."""
    closed_at_decision = frame["decision_date"].where(frame["decision"].isin(["not_assess", "withdrawn"]))
    return frame["assessment_outcome_date"].fillna(closed_at_decision)


def _outcome_only_after_assess(frame: pd.DataFrame) -> pd.Series:
    return frame["assessment_outcome"].isna() | (frame["decision"] == "assess")


EHC_REQUESTS = ExtractSpec(
    name="ehc_requests",
    description="Requests for an EHC needs assessment, one row per request",
    kinds={
        "request_id": "id",
        "child_id": "id",
        "request_received_date": "date",
        "decision_date": "date",
        "decision": "code",
        "assessment_outcome": "code",
        "assessment_outcome_date": "date",
        "exception_reason": "code",
        "age_at_request": "integer",
        "primary_need": "code",
    },
    columns={
        "request_id": id_column(),
        "child_id": id_column(),
        "request_received_date": date_column(required=True),
        "decision_date": date_column(required=False),
        "decision": code_column(DECISIONS, required=False),
        "assessment_outcome": code_column(ASSESSMENT_OUTCOMES, required=False),
        "assessment_outcome_date": date_column(required=False),
        "exception_reason": code_column(EXCEPTION_REASONS, required=False),
        "age_at_request": integer_column(0, 25),
        "primary_need": code_column(PRIMARY_NEEDS, required=False),
    },
    key="request_id",
    row_rules=(
        given_together("decision", "decision_date"),
        given_together("assessment_outcome", "assessment_outcome_date"),
        not_before("decision_date", "request_received_date"),
        not_before("assessment_outcome_date", "request_received_date"),
        not_before("assessment_outcome_date", "decision_date"),
        RowRule("assessment_outcome", "only when the decision was to assess", _outcome_only_after_assess,
                reads=("decision",)),
        open_during_period(closed_on, "request_received_date",
                           reads=("decision", "decision_date", "assessment_outcome_date")),
    ),
    dates_must_not_follow_period_end=("request_received_date", "decision_date", "assessment_outcome_date"),
)
