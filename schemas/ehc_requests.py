"""Requests for an EHC needs assessment: one row per request (docs/extracts.md)."""

from __future__ import annotations

from schemas.contract import (
    Column,
    Contract,
    code_column,
    date_column,
    given_together,
    id_column,
    not_before,
    open_during_period,
    rule,
)

DECISIONS = ["assess", "not_assess", "withdrawn"]
ASSESSMENT_OUTCOMES = ["plan_issued", "plan_not_issued", "withdrawn"]
# SEND Regulations 2014, regulation 10(4) (also 13(3)): the lawful exceptions to the timescales.
EXCEPTION_REASONS = ["school_closure", "personal_circumstances", "absent_from_area", "missed_appointment"]
# Primary type of need, as coded in DfE's SEN2 return.
PRIMARY_NEEDS = ["SPLD", "MLD", "SLD", "PMLD", "SEMH", "SLCN", "HI", "VI", "MSI", "PD", "ASD", "OTH", "NSA"]

# A request closes when it is refused or withdrawn, or when its assessment ends.
CLOSED_ON = (
    "coalesce(assessment_outcome_date, case when decision in ('not_assess', 'withdrawn') then decision_date end)"
)

EHC_REQUESTS = Contract(
    name="ehc_requests",
    folder="ehc_requests",
    description="Requests for an EHC needs assessment, one row per request",
    fields=(
        id_column(
            "request_id",
            "the case system's id of the request",
            "joins advice to requests; pseudonymised on the way in",
            doc_allowed="unique within the file",
        ),
        id_column(
            "child_id",
            "the child's id in the case system",
            "pseudonymised on the way in (keyed hash); never stored raw",
        ),
        date_column(
            "request_received_date",
            "day the LA received the request (day 0 of every timescale)",
            required=True,
            used_by="all EHC KPIs",
            doc_allowed="on or before the quarter end",
        ),
        date_column(
            "decision_date",
            "day the LA decided whether to assess (or the request was withdrawn)",
            required=False,
            used_by="`ehc_decision_6wk`",
            doc_allowed="not before `request_received_date`",
            doc_required="when `decision` is set",
        ),
        code_column(
            "decision",
            DECISIONS,
            "the decision whether to carry out an assessment",
            required=False,
            used_by="`ehc_decision_6wk`, `refusal_to_assess_rate`",
            doc_allowed="empty = not yet decided",
        ),
        code_column(
            "assessment_outcome",
            ASSESSMENT_OUTCOMES,
            "how the assessment ended",
            required=False,
            used_by="20-week KPIs",
            doc_allowed="empty = assessment ongoing; only when `decision` = `assess`",
        ),
        date_column(
            "assessment_outcome_date",
            "day the final EHC plan was issued (`plan_issued`), the LA decided not to issue one, or the "
            "assessment was withdrawn",
            required=False,
            used_by="20-week KPIs",
            doc_allowed="not before `decision_date`",
            doc_required="when `assessment_outcome` is set",
        ),
        code_column(
            "exception_reason",
            EXCEPTION_REASONS,
            "the SEND Regulations 2014 reg. 10(4) / 13(3) exception that applied to the 20-week timescale",
            required=False,
            used_by="`ehcp_20wk_excl_exc`",
            doc_allowed="empty = no exception",
        ),
        Column(
            "age_at_request",
            "integer",
            True,
            "age of the child or young person at the request",
            low=0,
            high=25,
            used_by="breakdowns",
        ),
        code_column(
            "primary_need",
            PRIMARY_NEEDS,
            "primary type of need",
            required=False,
            used_by="breakdowns",
            doc_allowed="DfE SEN2 codes: {codes}",
        ),
    ),
    key=("request_id",),
    row_rules=(
        given_together("decision", "decision_date"),
        given_together("assessment_outcome", "assessment_outcome_date"),
        not_before("decision_date", "request_received_date"),
        not_before("assessment_outcome_date", "request_received_date"),
        not_before("assessment_outcome_date", "decision_date"),
        rule(
            "assessment_outcome",
            "only when the decision was to assess",
            "assessment_outcome is null or coalesce(decision = 'assess', false)",
            reads=("decision",),
        ),
        open_during_period(
            CLOSED_ON, "request_received_date", reads=("decision", "decision_date", "assessment_outcome_date")
        ),
    ),
    dates_must_not_follow_period_end=("request_received_date", "decision_date", "assessment_outcome_date"),
    notes=(
        "A request is *closed* on its `decision_date` when the decision is `not_assess` or\n"
        "`withdrawn`, and on its `assessment_outcome_date` when an outcome is recorded."
    ),
)
