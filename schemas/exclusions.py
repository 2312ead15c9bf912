"""Exclusions from school: one row per permanent exclusion or suspension that started in the
file's quarter. School phase and SEN status are as at the exclusion, in DfE's categories
(middle schools stay `middle`: a three-tier area reports them on their own)."""

from __future__ import annotations

from schemas.contract import PERIOD_START, Column, Contract, code_column, date_column, id_column, rule

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

EXCLUSIONS = Contract(
    name="exclusions",
    folder="exclusions",
    description="Permanent exclusions and suspensions starting in the quarter, one row per exclusion",
    fields=(
        id_column("exclusion_id", "the case system's id of the exclusion", doc_allowed="unique within the file"),
        id_column(
            "pupil_id",
            "the pupil's id (the same pupil keeps one id across files)",
            "pseudonymised with the same key; counts pupils with one or more suspensions",
        ),
        # A school's URN identifies the school, not a child: kept as it is.
        Column("school_id", "text", True, "the school's URN (identifies a school, not a child; kept as is)"),
        code_column(
            "school_phase",
            SCHOOL_PHASES,
            "the school's phase; middle schools (three-tier areas) stay `middle`",
            required=True,
            used_by="`perm_excl_count_<phase>`",
        ),
        code_column(
            "sen_status",
            SEN_STATUSES,
            "the pupil's SEN status at the exclusion",
            required=True,
            used_by="`*_<sen_status>` KPIs",
        ),
        code_column(
            "exclusion_type",
            EXCLUSION_TYPES,
            'DfE\'s two kinds (a suspension was a "fixed-period exclusion")',
            required=True,
            used_by="all exclusion KPIs",
        ),
        date_column(
            "start_date",
            "first day of the exclusion",
            required=True,
            used_by="period it counts in",
            doc_allowed="inside the file's quarter",
        ),
        code_column(
            "reason", REASONS, "the main reason", required=True, used_by="breakdowns", doc_allowed="DfE's codes {codes}"
        ),
    ),
    key=("exclusion_id",),
    row_rules=(rule("start_date", "in the file's quarter", f"coalesce(start_date >= {PERIOD_START}, false)"),),
    dates_must_not_follow_period_end=("start_date",),
)
