"""School census headcounts: pupils on roll per academic year, school phase and SEN status.

The denominators of DfE's exclusion rates (per 100 pupils on roll). Aggregate figures: one
row per (academic_year, school_phase, sen_status) across the whole raw/school_census/ folder.
"""

from __future__ import annotations

import pandera.pandas as pa

from schemas.exclusions import SCHOOL_PHASES, SEN_STATUSES
from schemas.returns_common import academic_year_column, count_column, source_columns

NAME = "school_census"
COLUMNS = ["academic_year", "school_phase", "sen_status", "headcount"]
NUMBER_COLUMNS = ["headcount"]
KEY = ["academic_year", "school_phase", "sen_status"]

SCHOOL_CENSUS = pa.DataFrameSchema(
    {
        "academic_year": academic_year_column(),
        "school_phase": pa.Column(str, checks=pa.Check.isin(SCHOOL_PHASES), nullable=False, coerce=True),
        "sen_status": pa.Column(str, checks=pa.Check.isin(SEN_STATUSES), nullable=False, coerce=True),
        "headcount": count_column(),
        **source_columns(),
    },
    unique=KEY,
    name=NAME,
    strict=True,
)
