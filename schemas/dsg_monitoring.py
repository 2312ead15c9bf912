"""DSG budget monitoring: one row per financial year, budget period (P1-P12) and block.

Amounts are GBP thousands. A (financial_year, period, block) appears once across the whole
raw/dsg/ folder: two files giving the same period's figures for a block cannot both be right.
"""

from __future__ import annotations

from schemas.contract import Column, Contract, code_column

PERIODS = [f"P{number}" for number in range(1, 13)]
BLOCKS = ["schools", "high_needs", "early_years", "central"]

DSG_MONITORING = Contract(
    name="dsg_monitoring",
    folder="dsg",
    description="DSG budget monitoring: budget and forecast outturn per year, period and block (GBP thousands)",
    period=None,
    fields=(
        Column(
            "financial_year", "financial_year", True, "the financial year (the second part is the year after the first)"
        ),
        code_column("period", PERIODS, "the budget period: `P1` (April) .. `P12` (March)", required=True),
        code_column("block", BLOCKS, "the DSG block", required=True),
        Column("budget_gbp_k", "amount", True, "the block's budget for the year (thousands separators allowed)"),
        Column("forecast_outturn_gbp_k", "amount", True, "the forecast outturn at the period"),
    ),
    key=("financial_year", "period", "block"),
)
