"""Both real DfE download folders in one benchmarks folder, as an analyst keeps downloads.

../shared/data/dfe (EHC plans 2025 release, SEN2 2022, the 2021 neighbour workbook, the 2025
neighbour CSV, LA codes) and ../shared/data/dfe_later_downloads (NEET LA scorecard data for
2022, 2023 and 2025, the 2023 release's snake_case sen2_mi.csv, the 2025 neighbour workbook)
are copied side by side into a temporary folder; the real pipeline runs once for
Worcestershire (885) with an empty data folder. Expected figures are read here with pandas
from the raw files, following SEND-KPIS.md and docs/kpis.md, not from the dbt SQL.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SHARED_DFE, PipelineRun, run_pipeline

pytestmark = [pytest.mark.real_data, pytest.mark.e2e]

LATER = SHARED_DFE.parent / "dfe_later_downloads"
WORCESTERSHIRE = "885"
# The scorecard's columns for each KPI, all young people and those with an EHC plan.
SCORECARD_KPIS = {
    "neet_nk_pct": "NEET_not_known_percent",
    "neet_pct": "NEET_percent",
    "not_known_pct": "Notknown_percent",
    "neet_nk_pct_ehc_plan": "NEET_NK_EHCP_percent",
}
# scorecard file -> (time_period in the file, the academic year it is: the December-February
# window ending in that year's February)
SCORECARDS = {
    "UD_NEETNK_LA_dashboard_2022_final.csv": ("2022", "2021/22"),
    "UD_NEETNK_LA_dashboard_2023_final.csv": ("2023", "2022/23"),
    "UD_NEETNK_LA_dashboard_final.csv": ("2025", "2024/25"),
}


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> PipelineRun:
    for folder in (SHARED_DFE, LATER):
        if not folder.is_dir():
            pytest.skip(f"real DfE files not available: {folder} is missing (they live outside the repository)")
    work = tmp_path_factory.mktemp("both_downloads")
    benchmarks = work / "benchmarks"
    shutil.copytree(SHARED_DFE, benchmarks / "dfe")
    shutil.copytree(LATER, benchmarks / "dfe_later_downloads")
    data_dir = work / "data"
    data_dir.mkdir()
    run = run_pipeline(data_dir, benchmarks, home_la=WORCESTERSHIRE)
    assert run.success, "the pipeline run on both download folders failed"
    return run


def _scorecard(name: str) -> pd.DataFrame:
    return pd.read_csv(LATER / "neet_la_scorecard" / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def _neighbours_2025() -> list[str]:
    frame = pd.read_csv(SHARED_DFE / "reference" / "sn_model_2025_wide.csv", dtype=str, keep_default_na=False)
    frame.columns = [column.lower() for column in frame.columns]
    [row] = frame[frame["old_la_code"].str.strip() == WORCESTERSHIRE].to_dict("records")
    return [row[f"sn_{rank}"].strip() for rank in range(1, 11)]


def _expected(frame: pd.DataFrame, column: str) -> dict[str, object]:
    """Worcestershire's comparisons for one scorecard column (lower is better for NEET)."""
    authorities = frame[frame["geographic_level"] == "Local authority"]
    values = authorities.set_index("old_la_code")[column].map(_number)
    ours = values[WORCESTERSHIRE]
    others = values.drop(index=WORCESTERSHIRE).dropna()
    [region] = authorities.loc[authorities["old_la_code"] == WORCESTERSHIRE, "region_code"]
    national = frame.loc[frame["geographic_level"] == "National", column].map(_number).squeeze()
    regional = (
        frame.loc[(frame["geographic_level"] == "Regional") & (frame["region_code"] == region), column]
        .map(_number)
        .squeeze()
    )
    present = values.reindex(_neighbours_2025()).dropna()
    q25, q50, q75 = np.percentile(np.append(others.to_numpy(), ours), [25, 50, 75])
    # lower is better: band A is the lowest quarter, rank 1 the lowest value
    band = "A" if ours <= q25 else "B" if ours <= q50 else "C" if ours <= q75 else "D"
    return {
        "value": ours,
        "england_value": national,
        "region_value": regional,
        "sn_mean": float(present.mean()),
        "sn_count": len(present),
        "national_rank": 1 + int((others < ours).sum()),
        "national_count": len(others) + 1,
        "quartile_band": band,
    }


def test_worcestershire_neet_2025_is_academic_year_2024_25_with_dfe_figures(both):
    mart = pd.read_parquet(both.kpi_comparison)
    rows = mart[(mart["period_type"] == "academic_year") & (mart["period"] == "2024/25")].set_index("kpi_id")
    # the figures SEND-KPIS.md quotes for Worcestershire 2025 (Dec 2024 - Feb 2025)
    assert rows.loc["neet_nk_pct", "value"] == pytest.approx(6.8)
    assert rows.loc["neet_pct", "value"] == pytest.approx(3.9)
    assert rows.loc["not_known_pct", "value"] == pytest.approx(3.0)
    assert rows.loc["neet_nk_pct_ehc_plan", "value"] == pytest.approx(10.1)
    # and no NEET figure is filed under the academic year after the one DfE measured
    assert not ((mart["period"] == "2025/26") & mart["kpi_id"].isin(SCORECARD_KPIS)).any()


@pytest.mark.parametrize("name", list(SCORECARDS))
def test_neet_comparisons_equal_a_recomputation_from_each_scorecard_file(both, name):
    time_period, academic_year = SCORECARDS[name]
    frame = _scorecard(name)
    assert set(frame["time_period"]) == {time_period}
    mart = pd.read_parquet(both.kpi_comparison)
    problems = []
    for kpi_id, column in SCORECARD_KPIS.items():
        [row] = mart[(mart["kpi_id"] == kpi_id) & (mart["period"] == academic_year)].to_dict("records")
        assert row["benchmark_release"].startswith("dfe_neet_scorecard_"), row["benchmark_release"]
        assert row["sn_model"] == "sn_model_2025"
        for field, want in _expected(frame, column).items():
            got = row[field]
            if isinstance(want, str) or isinstance(got, str):
                ok = got == want
            else:
                ok = got is not None and not pd.isna(got) and abs(float(got) - float(want)) <= 1e-9
            if not ok:
                problems.append(f"{kpi_id} {academic_year} {field}: mart {got!r}, recomputed {want!r}")
    assert not problems, "\n".join(problems)


def test_sen2_series_2014_to_2024_has_one_row_per_year_with_its_release(both):
    mart = pd.read_parquet(both.kpi_comparison)
    series = mart[(mart["kpi_id"] == "ehcp_20wk_excl_exc") & (mart["period_type"] == "calendar_year")]
    assert sorted(series["period"]) == [str(year) for year in range(2014, 2025)]
    releases = dict(zip(series["period"], series["value_source"], strict=False))
    # the newer release wins where releases overlap: the 2023 SEN2 file (2014-2022) over the 2022
    # one (2014-2021), the 2025 EHC plans release (2019-2024) over both
    assert {releases[str(year)] for year in range(2014, 2019)} == {"dfe_sen2_2023"}
    assert {releases[str(year)] for year in range(2019, 2025)} == {"dfe_ehcp_2025"}
    # Worcestershire 2015 in the snake_case file: 55 of 119 plans within 20 weeks excluding exceptions
    sen2 = pd.read_csv(LATER / "ehcp_2023" / "sen2_mi.csv", dtype=str, keep_default_na=False)
    [line] = sen2[(sen2["old_la_code"] == WORCESTERSHIRE) & (sen2["time_period"] == "2015")].to_dict("records")
    [row] = series[series["period"] == "2015"].to_dict("records")
    assert (row["numerator"], row["denominator"]) == (float(line["no_exc_20week_ehc"]), float(line["tot_no_exc_ehc"]))
    assert row["value"] == pytest.approx(float(line["no_exc_20week_rate"]))


def test_both_neighbour_workbooks_sit_together_and_the_2025_model_is_used(both):
    status = pd.read_parquet(both.marts_dir / "dfe_file_status.parquet")
    workbooks = status[status["file_name"].str.endswith(".xlsx") & status["file_name"].str.contains("sn_")]
    assert dict(zip(workbooks["file_name"].map(lambda name: Path(name).name), workbooks["release"], strict=False)) == {
        "sn_april_2021.xlsx": "sn_model_2021",
        "sn_may_2025.xlsx": "sn_model_2025",
    }
    assert set(workbooks["status"]) == {"loaded"}
    assert set(pd.read_parquet(both.kpi_comparison)["sn_model"]) == {"sn_model_2025"}
    # no server path in what is published
    assert not status["file_name"].str.startswith("/").any()
    assert not status["message"].str.contains(str(both.benchmarks_dir), regex=False).any()
