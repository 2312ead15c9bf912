"""DfE layouts SEND-KPIS.md describes that no file in shared/ has, through the whole pipeline:
CME at census date (termly, with its topics and `x`/`low`), NEET by characteristics under the
2026 names with the age label "16 to 17", and exclusions under the names used up to 2018/19
(fixed_excl). A few rows each, written from the documented headers beside the demo's sample
benchmarks, for England and the demo's home authority (990); the mart must carry them."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import PipelineRun, copy_of

pytestmark = pytest.mark.e2e

GEOGRAPHY = (
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
    "old_la_code,new_la_code,la_name"
)
ENGLAND = "National,E92000001,England,,,,,"
HOME = "Local authority,E92000001,England,E12000005,West Midlands,990,E06009990,Wyvern Vale (synthetic)"

FILES = {
    "cme_census_2025_26.csv": "\n".join(
        [
            f"{GEOGRAPHY},breakdown_topic,breakdown,child_count,child_percent,rate_per_100",
            f"202526,Autumn term,{ENGLAND},Total,Total,12300,100,0.2000000",
            f"202526,Autumn term,{HOME},Total,Total,50,100,0.3000000",
            f"202526,Autumn term,{HOME},Sex,Female,20,40.0,x",
            f"202526,Autumn term,{HOME},Year group,Year 7,low,low,x",
            f"202526,Spring term,{ENGLAND},Total,Total,11800,100,0.1900000",
            f"202526,Spring term,{HOME},Total,Total,40,100,0.2400000",
        ]
    ),
    "neet_2026_names_2024_25.csv": "\n".join(
        [
            f"{GEOGRAPHY},age,characteristic_grouping,characteristic,avg_cohort_count,avg_neet_nk_count,"
            "avg_neet_count,avg_nk_count,neet_nk_percent,neet_percent,nk_percent,annual_change_neet_nk_percent",
            f"2025,Calendar year,{ENGLAND},16 to 17,Total,Total,1335160,74770,45400,29370,5.6,3.4,2.2,0.2",
            f"2025,Calendar year,{HOME},16 to 17,Total,Total,4000,260,150,110,6.5,3.8,2.8,0.3",
            f"2025,Calendar year,{HOME},16,Total,Total,2000,100,60,40,5.0,3.0,2.0,0.1",
        ]
    ),
    "exclusions_2018_19_fixed.csv": "\n".join(
        [
            f"{GEOGRAPHY},school_type,num_schools,headcount,perm_excl,perm_excl_rate,fixed_excl,fixed_excl_rate,"
            "one_plus_fixed,one_plus_fixed_rate",
            f"201819,Academic year,{ENGLAND},Total,24000,8000000,7900,0.10,438000,5.36,187000,2.33",
            f"201819,Academic year,{HOME},Total,120,40000,30,0.08,2000,5.00,900,2.25",
        ]
    ),
}


@pytest.fixture(scope="module")
def mart(demo_run: PipelineRun, tmp_path_factory) -> pd.DataFrame:
    """The built demo again with the hand-made files beside its benchmarks: only the DfE side reloads."""
    demo = copy_of(demo_run, tmp_path_factory.mktemp("documented_layouts") / "demo")
    folder = demo.benchmarks_dir / "documented_layouts"
    folder.mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text + "\n", encoding="utf-8")
    run = demo.again()
    assert run.success
    status = pd.read_parquet(run.marts_dir / "dfe_file_status.parquet")
    mine = status[status["file_name"].str.startswith("documented_layouts/")]
    assert set(mine["status"]) == {"loaded"}, mine[["file_name", "message"]].to_dict("records")
    return pd.read_parquet(run.kpi_comparison)


def _row(mart: pd.DataFrame, kpi_id: str, period: str) -> dict:
    [row] = mart[(mart["kpi_id"] == kpi_id) & (mart["period"] == period) & (mart["value_source"] != "local")].to_dict(
        "records"
    )
    return row


def test_cme_census_counts_per_term(mart):
    autumn = _row(mart, "cme_children_census", "2025/26 Autumn term")
    assert (autumn["period_type"], autumn["value"], autumn["england_value"]) == ("term", 50, 12300)
    spring = _row(mart, "cme_children_census", "2025/26 Spring term")
    assert (spring["value"], spring["england_value"]) == (40, 11800)
    assert spring["previous_value"] == 50  # consecutive terms
    rate = _row(mart, "cme_rate_per_100", "2025/26 Autumn term")
    assert (rate["value"], rate["england_value"]) == (pytest.approx(0.3), pytest.approx(0.2))


def test_neet_2025_calendar_year_is_2024_25_and_16_to_17_is_the_headline(mart):
    row = _row(mart, "neet_nk_pct", "2024/25")
    assert (row["value"], row["england_value"]) == (pytest.approx(6.5), pytest.approx(5.6))
    assert (row["numerator"], row["denominator"]) == (260, 4000)  # not the age-16 row
    assert not ((mart["kpi_id"] == "neet_nk_pct") & (mart["period"] == "2025/26")).any()


def test_fixed_period_exclusions_are_suspensions(mart):
    row = _row(mart, "susp_rate", "2018/19")
    assert (row["value"], row["england_value"]) == (pytest.approx(5.0), pytest.approx(5.36))
    assert (row["numerator"], row["denominator"]) == (2000, 40000)
    one_plus = _row(mart, "one_plus_susp_rate", "2018/19")
    assert (one_plus["value"], one_plus["england_value"]) == (pytest.approx(2.25), pytest.approx(2.33))
