"""Is a difference real? The comparison mart's 95% intervals and significance flags on the
demo, against an independent recomputation (docs/statistics.md); hand-worked intervals at
0 of n, n of n and small n are dbt unit tests (int_local_kpi_intervals.yml)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tests.conftest import PipelineRun

pytestmark = pytest.mark.e2e
Z = 1.959964


def wilson(numerator: float, denominator: float) -> tuple[float, float]:
    """Wilson score interval in percent (E. B. Wilson, 1927)."""
    p = numerator / denominator
    centre = (p + Z * Z / (2 * denominator)) / (1 + Z * Z / denominator)
    half = Z * math.sqrt(p * (1 - p) / denominator + Z * Z / (4 * denominator**2)) / (1 + Z * Z / denominator)
    return 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def expected_flag(lower: float, upper: float, benchmark: float, small: bool, name: str) -> str | None:
    if benchmark is None or pd.isna(benchmark):
        return None
    if small:
        return "small count: not tested"
    if benchmark < lower:
        return f"significantly above {name}"
    if benchmark > upper:
        return f"significantly below {name}"
    return f"not significantly different from {name}"


@pytest.fixture(scope="module")
def mart(demo_run: PipelineRun) -> pd.DataFrame:
    return pd.read_parquet(demo_run.kpi_comparison)


def test_local_percentages_carry_the_wilson_interval_and_nothing_else_does(mart):
    tested = mart[(mart["value_source"] == "local") & (mart["unit"] == "percent") & (mart["denominator"] > 0)]
    assert len(tested) > 20
    for row in tested.to_dict("records"):
        lower, upper = wilson(row["numerator"], row["denominator"])
        assert abs(row["value_ci_lower"] - lower) <= 0.005 + 1e-9, row
        assert abs(row["value_ci_upper"] - upper) <= 0.005 + 1e-9, row
        assert row["value_ci_lower"] <= row["value"] <= row["value_ci_upper"]
    others = mart.drop(index=tested.index)
    assert others["value_ci_lower"].isna().all() and others["value_ci_upper"].isna().all()


def test_significance_flags_follow_the_documented_test(mart):
    rows = mart[mart["value_ci_lower"].notna()].to_dict("records")
    seen = set()
    for row in rows:
        for column, benchmark, name in (
            ("significance_vs_england", row["england_value"], "England"),
            ("significance_vs_neighbours", row["sn_mean"], "neighbours"),
        ):
            want = expected_flag(row["value_ci_lower"], row["value_ci_upper"], benchmark, row["is_small_count"], name)
            got = row[column]
            assert (got is None or pd.isna(got)) if want is None else got == want, (
                row["kpi_id"],
                row["period"],
                column,
            )
            seen.add(want)
    # the demo exercises both outcomes of the test; a small count is never called significant
    assert "not significantly different from England" in seen
    assert any(flag and flag.startswith("significantly") for flag in seen)
    small = mart[mart["is_small_count"]]
    for column in ("significance_vs_england", "significance_vs_neighbours"):
        assert not small[column].fillna("").str.startswith("significantly").any()
    assert (
        mart.loc[mart["value_ci_lower"].isna(), ["significance_vs_england", "significance_vs_neighbours"]]
        .isna()
        .all()
        .all()
    )
