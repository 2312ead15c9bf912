"""DSG budget monitoring: one row per financial year, budget period (P1-P12) and block.

Amounts are GBP thousands. A (financial_year, period, block) appears once across the whole
raw/dsg/ folder: two files giving the same period's figures for a block cannot both be right.
"""

from __future__ import annotations

import pandera.pandas as pa

from schemas.returns_common import amount_column, financial_year_column, source_columns

NAME = "dsg_monitoring"
COLUMNS = ["financial_year", "period", "block", "budget_gbp_k", "forecast_outturn_gbp_k"]
AMOUNT_COLUMNS = ["budget_gbp_k", "forecast_outturn_gbp_k"]
KEY = ["financial_year", "period", "block"]
PERIODS = [f"P{number}" for number in range(1, 13)]
BLOCKS = ["schools", "high_needs", "early_years", "central"]

DSG_MONITORING = pa.DataFrameSchema(
    {
        "financial_year": financial_year_column(),
        "period": pa.Column(str, checks=pa.Check.isin(PERIODS), nullable=False, coerce=True),
        "block": pa.Column(str, checks=pa.Check.isin(BLOCKS), nullable=False, coerce=True),
        "budget_gbp_k": amount_column(required=True),
        "forecast_outturn_gbp_k": amount_column(required=True),
        **source_columns(),
    },
    unique=KEY,
    name=NAME,
    strict=True,
)
