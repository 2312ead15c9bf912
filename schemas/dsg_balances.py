"""DSG balances: one row per financial year, the cumulative DSG deficit at 1 April (positive
is a deficit, as DfE shows it) and the year's total DSG allocation, both GBP thousands.
Either amount may be blank when not known yet (next year's allocation before the deficit)."""

from __future__ import annotations

import pandera.pandas as pa

from schemas.returns_common import amount_column, financial_year_column, source_columns

NAME = "dsg_balances"
COLUMNS = ["financial_year", "cumulative_deficit_at_1_april_gbp_k", "total_dsg_allocation_gbp_k"]
AMOUNT_COLUMNS = ["cumulative_deficit_at_1_april_gbp_k", "total_dsg_allocation_gbp_k"]
KEY = ["financial_year"]

DSG_BALANCES = pa.DataFrameSchema(
    {
        "financial_year": financial_year_column(),
        "cumulative_deficit_at_1_april_gbp_k": amount_column(required=False),
        "total_dsg_allocation_gbp_k": amount_column(required=False, positive=True),
        **source_columns(),
    },
    unique=KEY,
    name=NAME,
    strict=True,
)
