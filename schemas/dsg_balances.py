"""DSG balances: one row per financial year, the cumulative DSG deficit at 1 April (positive
is a deficit, as DfE shows it) and the year's total DSG allocation, both GBP thousands.
Either amount may be blank when not known yet (next year's allocation before the deficit)."""

from __future__ import annotations

from schemas.contract import Column, Contract

DSG_BALANCES = Contract(
    name="dsg_balances",
    folder="dsg",
    description="DSG cumulative deficit at 1 April and total DSG allocation per year (GBP thousands)",
    period=None,
    fields=(
        Column("financial_year", "financial_year", True, "the financial year"),
        Column(
            "cumulative_deficit_at_1_april_gbp_k",
            "amount",
            False,
            "the cumulative DSG deficit at 1 April (positive = deficit); blank when not known yet",
        ),
        Column(
            "total_dsg_allocation_gbp_k",
            "amount",
            False,
            "the year's total DSG allocation; blank when not known yet",
            positive=True,
        ),
    ),
    key=("financial_year",),
)
