"""One odd DfE file never stops the rest: a benchmarks folder holding broken files still
publishes every family, and the run report and `dfe_file_status` name each file and why."""

from __future__ import annotations

import pandas as pd
import pytest

from pipelines.run_report import write_run_report
from pipelines.settings import load_settings
from tests.conftest import PipelineRun, copy_of, environment

pytestmark = pytest.mark.e2e

GEOGRAPHY = (
    "time_period,time_identifier,geographic_level,country_code,country_name,region_code,region_name,"
    "old_la_code,new_la_code,la_name"
)
SHIRE = "Local authority,E92000001,England,E12000009,South West,998,E06009998,Handmade Shire"
BROKEN = {
    # an age label DfE does not use
    "neet_odd_age.csv": f"{GEOGRAPHY},age,characteristic_grouping,characteristic,avg_cohort_count,avg_neet_nk_count,"
    "avg_neet_count,avg_nk_count,neet_nk_percent,neet_percent,nk_percent,annual_change_neet_nk_percent\n"
    f"2024,Calendar year,{SHIRE},18,Total,Total,2000,100,60,40,5,3,2,0.1\n",
    # an exclusions file from a release zip's school-level table: no benchmark in it
    "exclusions_school_level.csv": f"{GEOGRAPHY},education_phase,num_schools,headcount,perm_excl,perm_excl_rate,"
    "suspension,susp_rate,one_plus_susp,one_plus_susp_rate\n"
    "202223,Academic year,School,E92000001,England,E12000009,South West,998,E06009998,Handmade Shire,"
    "Total,1,900,1,0.11,40,4.44,20,2.22\n",
    # a download cut short after a comma
    "timeliness_truncated.csv": f"{GEOGRAPHY},breakdown_topic,breakdown,plans_issued_den,plans_issued_den_ex,"
    "plans_issued_within_20_weeks,plans_issued_20_weeks_ex,pc_plans_issued_within_20_weeks,"
    "pc_plans_issued_20_weeks_ex\n"
    f"2023,Calendar year,{SHIRE},All EHC plans issued,All EHC plans issued,100,90,",
}


@pytest.fixture(scope="module")
def broken_run(demo_run: PipelineRun, tmp_path_factory) -> PipelineRun:
    """The built demo again with odd files beside its benchmarks: only the DfE side reloads."""
    demo = copy_of(demo_run, tmp_path_factory.mktemp("broken_benchmarks") / "demo")
    data_dir, benchmarks = demo.data_dir, demo.benchmarks_dir
    odd = benchmarks / "odd_downloads"
    odd.mkdir()
    for name, text in BROKEN.items():
        (odd / name).write_text(text, encoding="utf-8")
    # The neighbour model again, with one authority's list changed: two files, one model.
    [model] = sorted((benchmarks / "reference").glob("sn_model*.csv"))
    lines = model.read_text(encoding="utf-8-sig").splitlines()
    first = lines[1].split(",")
    first[4], first[6] = first[6], first[4]  # the first two neighbours swapped: a different list
    (odd / "sn_model_2025_edited.csv").write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n")
    run = demo.again()
    assert run.success, "a folder with odd files should still publish"
    # The report the run-status sensor writes for a scheduled run, written here for this one.
    with environment(SENDKPI_DATA_DIR=str(data_dir), SENDKPI_BENCHMARKS_DIR=str(benchmarks)):
        write_run_report(load_settings(), run.result.run_id, run.result.all_events, published=True)
    return run


def test_every_family_still_publishes(broken_run):
    mart = pd.read_parquet(broken_run.kpi_comparison)
    published = mart[mart["value_source"] != "local"]
    for prefix in ("dfe_ehcp", "dfe_exclusions", "dfe_neet", "dfe_cme"):
        assert published["value_source"].str.startswith(prefix).any(), prefix


def test_each_odd_file_is_set_aside_with_its_reason(broken_run):
    status = pd.read_parquet(broken_run.marts_dir / "dfe_file_status.parquet")
    odd = status[status["file_name"].str.startswith("odd_downloads/")].set_index("file_name")
    assert set(odd["status"]) == {"set_aside"}
    assert "column age" in odd.loc["odd_downloads/neet_odd_age.csv", "message"]
    assert "18" in odd.loc["odd_downloads/neet_odd_age.csv", "message"]
    assert "school-level rows ignored" in odd.loc["odd_downloads/exclusions_school_level.csv", "message"]
    assert "cannot be read" in odd.loc["odd_downloads/timeliness_truncated.csv", "message"]
    edited = odd.loc["odd_downloads/sn_model_2025_edited.csv", "message"]
    assert "sn_model_2025" in edited and "different neighbours for 1 authorities" in edited
    # the sample's own model file is set aside too, naming the edited one: neither is trusted
    [original] = status[status["file_name"].str.startswith("reference/sn_model")].to_dict("records")
    assert original["status"] == "set_aside" and "sn_model_2025_edited.csv" in original["message"]
    # nothing of a set-aside file reached the published figures
    mart = pd.read_parquet(broken_run.kpi_comparison)
    assert not (mart["la_code"] == "998").any()


def test_the_run_report_names_each_file_and_the_missing_model(broken_run):
    [report] = sorted((broken_run.data_dir / "run_reports").glob("*.md"))
    text = report.read_text(encoding="utf-8")
    assert "**Published.**" in text and "But the run reported problems" in text
    for name in [*BROKEN, "sn_model_2025_edited.csv"]:
        assert name in text, name
    assert "sn_model = 2025) is in no usable file" in text
    mart = pd.read_parquet(broken_run.kpi_comparison)
    assert mart["sn_mean"].isna().all()  # no neighbour model: empty, and said so above
