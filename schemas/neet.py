"""NEET 16-17: monthly counts of young people aged 16 and 17 (academic age) known to the
authority, by SEND status: the cohort, those not in education, employment or training
(NEET) and those whose activity is not known. One row per (month, age, send_status) across
the whole raw/neet/ folder. Aggregate figures, not person-level."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from schemas.returns_common import count_column, month_column, source_columns

NAME = "neet"
COLUMNS = ["month", "age", "send_status", "cohort", "neet", "not_known"]
NUMBER_COLUMNS = ["cohort", "neet", "not_known"]
KEY = ["month", "age", "send_status"]
AGES = ["16", "17"]
SEND_STATUSES = ["ehc_plan", "sen_support", "no_send"]


def _within_cohort(frame: pd.DataFrame) -> pd.Series:
    return (frame["neet"] + frame["not_known"] <= frame["cohort"]) | frame[["cohort", "neet", "not_known"]].isna().any(axis=1)


NEET = pa.DataFrameSchema(
    {
        "month": month_column(),
        "age": pa.Column(str, checks=pa.Check.isin(AGES), nullable=False, coerce=True),
        "send_status": pa.Column(str, checks=pa.Check.isin(SEND_STATUSES), nullable=False, coerce=True),
        "cohort": count_column(),
        "neet": count_column(),
        "not_known": count_column(),
        **source_columns(),
    },
    checks=[pa.Check(_within_cohort, name="neet + not_known not above the cohort", error="neet + not_known not above the cohort")],
    unique=KEY,
    name=NAME,
    strict=True,
)
