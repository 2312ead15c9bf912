"""Financial quarters as they appear in extract file names ("2023-24_Q2").

The SQL side of the calendars (which financial quarter, year or month a date falls in)
lives in dbt_project/models/intermediate/int_calendar.sql; tests/test_calendar_and_scorecard.py
checks the two agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_QUARTER_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})[ _-]?Q([1-4])(?!\d)", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class FinancialQuarter:
    """Quarter `quarter` (1 = April-June) of the financial year starting 1 April `start_year`."""

    start_year: int
    quarter: int

    @property
    def label(self) -> str:
        """The label used in file names and partitions: 2023-24_Q2."""
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}_Q{self.quarter}"

    @property
    def mart_label(self) -> str:
        """The label used in marts, matching the dbt calendar macro: 2023-24 Q2."""
        return self.label.replace("_", " ")

    @property
    def first_day(self) -> date:
        month = 4 + 3 * (self.quarter - 1)
        year = self.start_year + (month > 12)
        return date(year, (month - 1) % 12 + 1, 1)

    @property
    def last_day(self) -> date:
        following = self.next()
        return date.fromordinal(following.first_day.toordinal() - 1)

    def next(self) -> FinancialQuarter:
        if self.quarter == 4:
            return FinancialQuarter(self.start_year + 1, 1)
        return FinancialQuarter(self.start_year, self.quarter + 1)

    @classmethod
    def parse(cls, label: str) -> FinancialQuarter:
        found = cls.find_in(label)
        if found is None:
            raise ValueError(f"{label!r} is not a financial quarter like 2023-24_Q2")
        return found

    @classmethod
    def find_in(cls, text: str) -> FinancialQuarter | None:
        """The quarter named in a file name, or None. The two years must be consecutive."""
        match = _QUARTER_IN_NAME.search(text)
        if not match:
            return None
        start_year, end_yy, quarter = int(match[1]), int(match[2]), int(match[3])
        if (start_year + 1) % 100 != end_yy:
            return None
        return cls(start_year, quarter)

    @classmethod
    def find_all_in(cls, text: str) -> list[FinancialQuarter]:
        """Every distinct valid quarter named in a file name, in order."""
        found: list[FinancialQuarter] = []
        for match in _QUARTER_IN_NAME.finditer(text):
            start_year, end_yy, quarter = int(match[1]), int(match[2]), int(match[3])
            if (start_year + 1) % 100 == end_yy and cls(start_year, quarter) not in found:
                found.append(cls(start_year, quarter))
        return found

    @classmethod
    def containing(cls, day: date) -> FinancialQuarter:
        start_year = day.year if day.month >= 4 else day.year - 1
        return cls(start_year, (day.month - 4) % 12 // 3 + 1)
