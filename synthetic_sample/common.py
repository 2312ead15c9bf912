"""What every part of the synthetic sample shares: the home authority, its quarters, the
statutory timescales and how files are written.

The calendar is the product's (pipelines.periods.FinancialQuarter) and the timescales are the
product's dbt seed (pipelines.timescales), so the sample cannot drift from the rules it exercises.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.periods import FinancialQuarter
from pipelines.timescales import statutory_days

HOME_LA_OLD_CODE = "990"
HOME_LA_NEW_CODE = "E06009990"
HOME_LA_NAME = "Wyvern Vale (synthetic)"
# A comparator group of synthetic authorities (one named by its ONS code), as
# SENDKPI_COMPARATOR_GROUPS would set it: the demo uses it when no group is set.
SAMPLE_COMPARATOR_GROUPS = "sample_consortium=970,985,991,992,E06009980"

SAMPLE_PERIODS: list[str] = [
    FinancialQuarter(year, quarter).label for year in (2021, 2022, 2023) for quarter in (1, 2, 3, 4)
]

# Histories start a year before the first quarter so that 2021-22_Q1 carries in open cases,
# and end at the last quarter's end: anything dated later is "the future" and never shown.
HISTORY_START = pd.Timestamp("2020-04-01")
SAMPLE_START = pd.Timestamp("2021-04-01")
HISTORY_END = pd.Timestamp("2024-03-31")

# Statutory timescales, in days from the request (day 0).
DECISION_DAYS = statutory_days()["decision_to_assess"]
ADVICE_DAYS = statutory_days()["statutory_advice"]
PLAN_DAYS = statutory_days()["final_ehc_plan"]
NO_PLAN_DAYS = statutory_days()["decision_not_to_issue"]


def quarter_bounds(period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of a financial quarter label such as 2021-22_Q4 (Jan-Mar 2022)."""
    quarter = FinancialQuarter.parse(period)
    return pd.Timestamp(quarter.first_day), pd.Timestamp(quarter.last_day)


def to_days(values: np.ndarray) -> pd.TimedeltaIndex:
    return pd.to_timedelta(np.asarray(values, dtype="int64"), unit="D")


def synthetic_ids(prefix: str, numbers: np.ndarray, width: int = 6) -> np.ndarray:
    """Obviously synthetic ids such as REQ-000123 or SYN-EXC-000123."""
    return np.char.add(prefix, np.char.zfill(np.asarray(numbers).astype(str), width))


def iso_dates(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%Y-%m-%d").fillna("")


def count_text(values: pd.Series, symbol: pd.Series) -> pd.Series:
    """Whole numbers as text; a blank prints as its row's suppression symbol."""
    return values.map(lambda v: "" if pd.isna(v) else str(int(v))).mask(values.isna(), symbol)


def write_csv(frame: pd.DataFrame, path: Path, *, bom: bool = False, crlf: bool = False) -> Path:
    """CSV with pandas' default (minimal) quoting and no index, like DfE's files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8-sig" if bom else "utf-8", lineterminator="\r\n" if crlf else "\n")
    return path
