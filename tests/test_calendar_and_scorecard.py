"""The SQL calendars agree with the Python one, and the headline table reads the mart."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest

from pipelines.periods import FinancialQuarter
from pipelines.scorecard import headline, render
from tests.conftest import PipelineRun
from tests.dbt_helpers import run_dbt


@pytest.fixture(scope="module")
def calendar(tmp_path_factory):
    """int_calendar as dbt builds it (the model reads no data, so no pipeline run is needed)."""
    work = tmp_path_factory.mktemp("calendar")
    build = work / "calendar.duckdb"
    completed = run_dbt(["run", "--select", "int_calendar"], build, work)
    assert completed.returncode == 0, completed.stdout[-3000:]
    with duckdb.connect(str(build), read_only=True) as connection:
        frame = connection.execute("select * from intermediate.int_calendar").df()
    # DuckDB dates arrive as timestamps; index by the plain date the tests look up.
    frame["calendar_date"] = frame["calendar_date"].dt.date
    return frame.set_index(["calendar_date", "period_type"])


@pytest.mark.parametrize(
    "day",
    [
        date(2023, 3, 31),
        date(2023, 4, 1),
        date(2023, 6, 30),
        date(2023, 7, 1),
        date(2023, 9, 30),
        date(2023, 12, 31),
        date(2024, 1, 1),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 1),
    ],
)
def test_financial_quarter_in_sql_matches_python(calendar, day):
    quarter = FinancialQuarter.containing(day)
    row = calendar.xs((day, "financial_quarter"))
    assert row["period"] == quarter.mart_label
    assert row["period_start"].date() == quarter.first_day
    assert row["period_end"].date() == quarter.last_day


@pytest.mark.parametrize(
    ("day", "academic", "financial", "calendar_year"),
    [
        (date(2023, 8, 31), "2022/23", "2023-24", "2023"),
        (date(2023, 9, 1), "2023/24", "2023-24", "2023"),
        (date(2024, 3, 31), "2023/24", "2023-24", "2024"),
        (date(2024, 4, 1), "2023/24", "2024-25", "2024"),
    ],
)
def test_academic_financial_and_calendar_years_switch_on_their_own_days(
    calendar, day, academic, financial, calendar_year
):
    assert calendar.xs((day, "academic_year"))["period"] == academic
    assert calendar.xs((day, "financial_year"))["period"] == financial
    assert calendar.xs((day, "calendar_year"))["period"] == calendar_year


@pytest.mark.parametrize(
    ("day", "month", "month_end"),
    [
        (date(2023, 2, 28), "2023-02", date(2023, 2, 28)),
        (date(2024, 2, 29), "2024-02", date(2024, 2, 29)),
        (date(2023, 12, 31), "2023-12", date(2023, 12, 31)),
        (date(2024, 1, 1), "2024-01", date(2024, 1, 31)),
    ],
)
def test_months_end_on_their_last_day_and_number_consecutively(calendar, day, month, month_end):
    row = calendar.xs((day, "month"))
    assert row["period"] == month
    assert row["period_end"].date() == month_end
    assert row["period_index"] == day.year * 12 + day.month - 1


@pytest.mark.parametrize(
    ("day", "term", "start", "end"),
    [
        (date(2025, 8, 31), "2024/25 Summer term", date(2025, 4, 1), date(2025, 8, 31)),
        (date(2025, 9, 1), "2025/26 Autumn term", date(2025, 9, 1), date(2025, 12, 31)),
        (date(2025, 12, 31), "2025/26 Autumn term", date(2025, 9, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), "2025/26 Spring term", date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 3, 31), "2025/26 Spring term", date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), "2025/26 Summer term", date(2026, 4, 1), date(2026, 8, 31)),
    ],
)
def test_terms_switch_on_their_own_days_and_number_consecutively(calendar, day, term, start, end):
    row = calendar.xs((day, "term"))
    assert row["period"] == term
    assert (row["period_start"].date(), row["period_end"].date()) == (start, end)
    # three terms a year, numbered on from the academic year's first
    academic = calendar.xs((day, "academic_year"))
    assert row["period_index"] // 3 == academic["period_index"]


def test_every_day_has_exactly_one_period_of_each_type(calendar):
    days = calendar.reset_index()
    counts = days.groupby("calendar_date")["period_type"].nunique()
    assert (counts == 6).all()
    first, last = days["calendar_date"].min(), days["calendar_date"].max()
    assert len(counts) == (last - first + timedelta(days=1)).days


def test_headline_takes_latest_benchmarked_year_and_latest_quarter(demo_run: PipelineRun):
    frame = headline(demo_run.marts_dir)
    mart = duckdb.sql(f"select * from '{demo_run.kpi_comparison}'").df()
    # A KPI's year is a calendar year (EHC plans) or an academic year (exclusions, NEET, CME).
    years = mart[mart.period_type.isin(["calendar_year", "academic_year"]) & mart.value.notna()]
    benchmarked = years[years.england_value.notna()]
    assert sorted(frame.kpi_name) == sorted(mart.kpi_name.unique())
    for row in frame.itertuples():
        mine = years[years.kpi_name == row.kpi_name]
        if mine.empty:  # quarterly-only KPIs (annual reviews, CME referrals): no year column
            assert pd.isna(row.period)
            continue
        pool = benchmarked[benchmarked.kpi_name == row.kpi_name]
        if pool.empty:  # DfE does not publish it (advice): our latest year, unbenchmarked
            pool = mine
            assert row.value_source == "local" and pd.isna(row.england_value)
        latest = pool[pool.period_end == pool.period_end.max()]
        assert row.period == latest.period.iloc[0]
        sources = set(latest.value_source)
        assert row.value_source == ("local" if "local" in sources else sorted(sources)[-1])
    text = render(frame)
    assert "Wyvern Vale (synthetic) (990)" in text
    assert "New EHC plans issued within 20 weeks (excluding exceptions)" in text
