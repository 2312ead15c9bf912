"""Synthetic Dedicated Schools Grant returns (GBP thousands): monitoring for 2023-24 periods 1-6
(period 6 = seed 004's figures) and the balances file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from schemas import DSG_BALANCES as DSG_BALANCES_CONTRACT
from schemas import DSG_MONITORING
from synthetic_sample.common import write_csv

# Seed 004's 2023-24 period 6 figures: high needs 74,692 budget vs 82,836 forecast; the other
# blocks on budget; total 244,025 vs 252,169. Earlier periods show the overspend emerging.
DSG_BUDGETS_2023_24 = {"schools": 129_735, "high_needs": 74_692, "early_years": 36_265, "central": 3_333}
DSG_HIGH_NEEDS_FORECAST_2023_24 = {1: 78_100, 2: 79_050, 3: 80_200, 4: 81_150, 5: 82_040, 6: 82_836}
# Deficit at 1 April 2023 (seed 004: 20.3m); total DSG allocation 2023-24 (the period-6 total
# budget) and 2024-25 (+4.3% on high needs, as DfE indicated, and +2% on the other blocks).
DSG_BALANCES = [
    ("2023-24", "20300", "244025"),
    ("2024-25", "", "250623"),
]


def write_sample_dsg(dsg_dir: Path) -> list[Path]:
    """Synthetic DSG monitoring for 2023-24 P1-P6 (P6 = seed 004) and the DSG balances."""
    written = []
    for period, high_needs_forecast in DSG_HIGH_NEEDS_FORECAST_2023_24.items():
        rows = [
            {
                "financial_year": "2023-24",
                "period": f"P{period}",
                "block": block,
                "budget_gbp_k": budget,
                "forecast_outturn_gbp_k": high_needs_forecast if block == "high_needs" else budget,
            }
            for block, budget in DSG_BUDGETS_2023_24.items()
        ]
        written.append(
            write_csv(
                pd.DataFrame(rows, columns=DSG_MONITORING.column_names),
                dsg_dir / f"dsg_monitoring_synthetic_2023-24_P{period:02d}.csv",
            )
        )
    balances = pd.DataFrame(
        DSG_BALANCES,
        columns=DSG_BALANCES_CONTRACT.column_names,
    )
    written.append(write_csv(balances, dsg_dir / "dsg_balances_synthetic.csv"))
    return written
