"""School census headcounts: pupils on roll per academic year, school phase and SEN status.

The denominators of DfE's exclusion rates (per 100 pupils on roll). Aggregate figures: one
row per (academic_year, school_phase, sen_status) across the whole raw/school_census/ folder.
"""

from __future__ import annotations

from schemas.contract import Column, Contract, code_column
from schemas.exclusions import SCHOOL_PHASES, SEN_STATUSES

SCHOOL_CENSUS = Contract(
    name="school_census",
    folder="school_census",
    description="Pupils on roll per academic year, school phase and SEN status (exclusion rate denominators)",
    period=None,
    fields=(
        Column("academic_year", "academic_year", True, "the academic year of the census"),
        code_column("school_phase", SCHOOL_PHASES, "the school's phase, as in `exclusions/`", required=True),
        code_column("sen_status", SEN_STATUSES, "SEN status, as in `exclusions/`", required=True),
        Column("headcount", "count", True, "pupils on roll"),
    ),
    key=("academic_year", "school_phase", "sen_status"),
)
