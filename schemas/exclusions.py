"""Exclusions from school: one row per permanent exclusion or suspension that started in the
file's quarter. School phase and SEN status are as at the exclusion, in DfE's categories
(middle schools stay `middle`: a three-tier area reports them on their own)."""

from __future__ import annotations

import pandas as pd

from schemas.extract_spec import PERIOD_START, ExtractSpec, RowRule, code_column, date_column, id_column

SCHOOL_PHASES = ["primary", "middle", "secondary", "special", "alternative_provision"]
SEN_STATUSES = ["ehc_plan", "sen_support", "no_sen"]
EXCLUSION_TYPES = ["permanent", "suspension"]
# DfE's reason codes for the school census exclusions return (2020/21 onwards).
REASONS = [
    "PP",  # physical assault against a pupil
    "PA",  # physical assault against an adult
    "VP",  # verbal abuse or threatening behaviour against a pupil
    "VA",  # verbal abuse or threatening behaviour against an adult
    "BU",  # bullying
    "RA",  # racist abuse
    "AS",  # abuse against sexual orientation or gender identity
    "AD",  # abuse relating to disability
    "SM",  # sexual misconduct
    "DA",  # drug and alcohol related
    "DM",  # damage
    "TH",  # theft
    "PD",  # persistent disruptive behaviour
    "MT",  # use or threat of use of an offensive weapon or prohibited item
    "SO",  # inappropriate use of social media or online technology
    "OT",  # other
]


def _started_in_quarter(frame: pd.DataFrame) -> pd.Series:
    return frame["start_date"] >= frame[PERIOD_START]


EXCLUSIONS = ExtractSpec(
    name="exclusions",
    description="Permanent exclusions and suspensions starting in the quarter, one row per exclusion",
    kinds={
        "exclusion_id": "id",
        "pupil_id": "id",
        "school_id": "text",
        "school_phase": "code",
        "sen_status": "code",
        "exclusion_type": "code",
        "start_date": "date",
        "reason": "code",
    },
    columns={
        "exclusion_id": id_column(),
        "pupil_id": id_column(),
        # A school's URN identifies the school, not a child: kept as it is.
        "school_id": id_column(),
        "school_phase": code_column(SCHOOL_PHASES, required=True),
        "sen_status": code_column(SEN_STATUSES, required=True),
        "exclusion_type": code_column(EXCLUSION_TYPES, required=True),
        "start_date": date_column(required=True),
        "reason": code_column(REASONS, required=True),
    },
    key="exclusion_id",
    row_rules=(RowRule("start_date", "in the file's quarter", _started_in_quarter),),
    dates_must_not_follow_period_end=("start_date",),
)
