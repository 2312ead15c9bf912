"""NEET 16-17: monthly counts of young people aged 16 and 17 (academic age) known to the
authority, by SEND status: the cohort, those not in education, employment or training
(NEET) and those whose activity is not known. One row per (month, age, send_status) across
the whole raw/neet/ folder. Aggregate figures, not person-level."""

from __future__ import annotations

from schemas.contract import Column, Contract, RowRule, code_column

AGES = ["16", "17"]
SEND_STATUSES = ["ehc_plan", "sen_support", "no_send"]

NEET = Contract(
    name="neet",
    folder="neet",
    description="NEET 16-17 monthly counts by age and SEND status: cohort, NEET, not known",
    period=None,
    fields=(
        Column("month", "month", True, "the month of the count"),
        code_column("age", AGES, "academic age", required=True),
        code_column("send_status", SEND_STATUSES, "SEND status", required=True),
        Column("cohort", "count", True, "young people of that age known to the authority"),
        Column("neet", "count", True, "not in education, employment or training"),
        Column("not_known", "count", True, "activity not known; `neet` + `not_known` may not exceed `cohort`"),
    ),
    key=("month", "age", "send_status"),
    row_rules=(
        RowRule(
            "neet",
            "neet + not_known not above the cohort",
            "cohort is null or neet is null or not_known is null or neet + not_known <= cohort",
            reads=("cohort", "not_known"),
        ),
    ),
)
