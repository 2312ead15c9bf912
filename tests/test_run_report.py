"""The run report file: real Dagster runs (one published, one failing in dbt) and hand-made events."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest
from dagster._core.definitions.asset_checks.asset_check_evaluation import AssetCheckEvaluation
from dagster_shared.error import SerializableErrorInfo

from pipelines.run_report import (
    extract_outcomes_metadata,
    latest_report_path,
    quarantine_reasons_metadata,
    summarise_run,
    write_run_report,
)
from pipelines.settings import DEMO_PSEUDONYMISATION_KEY, Settings
from tests.conftest import SAMPLE_EXTRACT_FILES, PipelineRun, run_pipeline, write_sample

pytestmark = pytest.mark.e2e  # each test runs the whole pipeline

REPORT_NAME = re.compile(r"\d{8}T\d{6}Z_[0-9a-f]{8}(_\d+)?\.md")
BROKEN_FILE = "ehc_requests_synthetic_2021-22_Q1.csv"


def _settings(data_dir: Path, home_la: str = "990") -> Settings:
    return Settings(
        home_la=home_la,
        data_dir=data_dir,
        benchmarks_dir=data_dir / "sample_benchmarks",
        sn_model="2025",
        small_count_threshold=5,
        pseudonymisation_key=None,
    )


def _break_two_rows(path: Path) -> None:
    """Row 3 (header = row 1) gets an age that is not a number, row 5 an unknown decision."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[1]["age_at_request"] = "three"
    rows[3]["decision"] = "maybe"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def published_run(tmp_path_factory) -> PipelineRun:
    """The synthetic sample with two bad rows in one file: loaded, quarantined, published."""
    data_dir = tmp_path_factory.mktemp("report_ok")
    benchmarks = write_sample(data_dir)
    _break_two_rows(data_dir / "raw" / "ehc_requests" / BROKEN_FILE)
    # A broken sample file is no longer the bundled sample: it needs a key (the demo's will do).
    run = run_pipeline(data_dir, benchmarks, key=DEMO_PSEUDONYMISATION_KEY)
    assert run.success, "the sample run with two quarantined rows should still publish"
    return run


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory) -> PipelineRun:
    """An authority that is not in DfE's files: dbt's home-authority test fails the build."""
    data_dir = tmp_path_factory.mktemp("report_failed")
    run = run_pipeline(data_dir, write_sample(data_dir), home_la="123")
    assert not run.success
    return run


def test_summary_of_a_published_run(published_run):
    summary = summarise_run(published_run.result.all_events, published=True)
    assert summary["published"] is True and summary["outcome"] == "published"
    assert summary["reasons"] == [] and summary["failed_steps"] == []
    files = summary["files"]
    assert (files["files_seen"], files["files_loaded"], files["files_unchanged"], files["files_rejected"]) == (
        SAMPLE_EXTRACT_FILES,
        SAMPLE_EXTRACT_FILES,
        0,
        0,
    )
    assert files["rows_quarantined"] == 2
    assert len(files["files"]) == SAMPLE_EXTRACT_FILES and {f["status"] for f in files["files"]} == {"loaded"}
    [broken] = [f for f in files["files"] if f["rows_quarantined"]]
    assert (broken["extract"], broken["file"], broken["rows_quarantined"]) == ("ehc_requests", BROKEN_FILE, 2)
    checks = summary["checks"]
    assert checks["failed"] == 0 and checks["passed"] == checks["run"] > 2
    assert "ehc_requests_matches_schema" in checks["passed_checks"]
    publish = summary["publish"]
    assert publish["marts_dir"] == str(published_run.marts_dir)
    assert publish["rows"]["marts.kpi_comparison"] > 0
    assert summary["steps"]["published__marts"] == "succeeded"


def test_report_of_a_published_run(published_run):
    settings = _settings(published_run.data_dir)
    result = published_run.result
    # Written from the run's events alone: the next run may be writing the build warehouse
    # (DuckDB: one writer process or readers, never both), so the report must not open it.
    warehouse = settings.build_warehouse_path
    set_aside = warehouse.with_name(f"{warehouse.name}.set-aside")
    warehouse.rename(set_aside)
    try:
        path = write_run_report(settings, result.run_id, result.all_events, published=True)
    finally:
        set_aside.rename(warehouse)
    assert path.parent == published_run.data_dir / "run_reports"
    assert REPORT_NAME.fullmatch(path.name) and path.name.split("_")[1].removesuffix(".md") == result.run_id[:8]
    text = path.read_text(encoding="utf-8")
    assert "**Published.**" in text and "Nothing was published" not in text
    assert f"{SAMPLE_EXTRACT_FILES} seen, {SAMPLE_EXTRACT_FILES} loaded, 0 unchanged, 0 rejected" in text
    assert "2 quarantined" in text
    # The quarantine reasons the load step recorded: file, column, rule, row number.
    quarantine = text.split("## Rows quarantined")[1].split("## Checks")[0]
    age_line = next(line for line in quarantine.splitlines() if "age_at_request" in line)
    assert BROKEN_FILE in age_line and "whole number" in age_line and age_line.rstrip(" |").endswith("3")
    decision_line = next(line for line in quarantine.splitlines() if "| decision |" in line)
    assert BROKEN_FILE in decision_line and decision_line.rstrip(" |").endswith("5")
    # The aggregate returns: every file of each folder, with its layout and rows.
    returns = text.split("## Returns (DSG, NEET, school census)")[1].split("## Rows quarantined")[0]
    census = next(line for line in returns.splitlines() if "school_census_synthetic.csv" in line)
    assert census.startswith("| school_census |") and "| school_census | 60 | 0 |" in census
    assert "| neet | neet_16_17_synthetic.csv | neet | 216 | 0 |" in returns
    assert sum("| dsg | dsg_monitoring_synthetic_" in line for line in returns.splitlines()) == 6
    assert "three" not in text and "maybe" not in text, "original values stay in the warehouse"
    checks = text.split("## Checks")[1].split("## Published")[0]
    assert " passed, 0 failed." in checks
    published = text.split("## Published")[1]
    assert str(published_run.marts_dir) in published and "| marts.kpi_comparison |" in published
    assert latest_report_path(settings) == path


def test_reports_are_kept_and_the_latest_is_found(published_run, tmp_path):
    settings = _settings(tmp_path)
    assert latest_report_path(settings) is None
    result = published_run.result
    first = write_run_report(settings, result.run_id, result.all_events, published=True)
    first_text = first.read_text(encoding="utf-8")
    second = write_run_report(settings, result.run_id, result.all_events, published=True)
    assert second != first and first.read_text(encoding="utf-8") == first_text
    assert latest_report_path(settings) == second
    assert sorted(p.name for p in settings.run_reports_dir.iterdir()) == sorted([first.name, second.name])


def test_report_of_a_run_that_failed_in_dbt(failed_run):
    settings = _settings(failed_run.data_dir, home_la="123")
    result = failed_run.result
    summary = summarise_run(result.all_events, published=False)
    assert summary["outcome"] == "not published" and summary["publish"] is None
    [failure] = summary["failed_steps"]
    assert failure["step"] == "sendkpi_dbt_models" and "exactly_one_row_int_home_la" in failure["error"]
    assert [check["check"] for check in summary["checks"]["failed_checks"]] == ["exactly_one_row_int_home_la_"]
    assert "published__marts" not in summary["steps"]

    path = write_run_report(settings, result.run_id, result.all_events, published=False)
    text = path.read_text(encoding="utf-8")
    assert "**Nothing was published**: the last published marts are unchanged." in text
    outcome = text.split("## Outcome")[1].split("## Files")[0]
    assert "sendkpi_dbt_models" in outcome and "exactly_one_row_int_home_la_" in outcome
    assert "DagsterDbtCliRuntimeError" in outcome
    assert "\x1b[" not in text, "terminal colour codes are removed"
    assert f"{SAMPLE_EXTRACT_FILES} seen, {SAMPLE_EXTRACT_FILES} loaded" in text
    assert text.split("## Published")[1].strip() == "Nothing."
    assert not (failed_run.data_dir / "marts" / "kpi_comparison.parquet").exists()


# ---------------------------------------------------------------------------------------
# Hand-made events: the summary reads nothing but what it is given
# ---------------------------------------------------------------------------------------


def _event(kind: str, step: str | None = None, **data) -> SimpleNamespace:
    return SimpleNamespace(
        event_type_value=kind, step_key=step, event_specific_data=SimpleNamespace(**data), message=None
    )


def _check(evaluation: AssetCheckEvaluation) -> SimpleNamespace:
    return SimpleNamespace(
        event_type_value="ASSET_CHECK_EVALUATION", step_key="check", event_specific_data=evaluation, message=None
    )


def _materialisation(key: list[str], metadata: dict) -> SimpleNamespace:
    return _event(
        "ASSET_MATERIALIZATION",
        "step",
        materialization=dg.AssetMaterialization(asset_key=dg.AssetKey(key), metadata=metadata),
    )


def _outcome(extract: str, name: str, status: str, loaded: int, quarantined: int, message: str):
    from pipelines.ingest.extracts import FileOutcome

    return FileOutcome(
        extract, Path("/raw") / extract / name, status, message, rows_loaded=loaded, rows_quarantined=quarantined
    )


def _hand_made_events() -> list:
    outcomes = [
        _outcome(
            "ehc_requests", "ehc_requests_2023-24_Q1.csv", "loaded", 100, 3, "loaded 100 of 103 rows, quarantined 3"
        ),
        _outcome("ehc_requests", "ehc_requests_2023-24_Q2.csv", "unchanged", 0, 0, "already seen: nothing to do"),
        _outcome("advice_requests", "advice_2023-24.csv", "rejected", 0, 0, "no period in file name"),
    ]
    cause = SerializableErrorInfo("KeyError: 'home_la'\n", [], "KeyError")
    error = SerializableErrorInfo(
        'Error in step "sendkpi_dbt_models"\n', ["stack"], "DagsterExecutionStepExecutionError", cause=cause
    )
    return [
        _event("PIPELINE_START"),
        _event("STEP_START", "local_extracts"),
        _materialisation(["raw", "load_log"], extract_outcomes_metadata(outcomes)),
        _materialisation(["raw", "load_log"], extract_outcomes_metadata(outcomes)),  # reported twice
        _event("STEP_SUCCESS", "local_extracts"),
        _check(
            AssetCheckEvaluation(
                asset_key=dg.AssetKey(["raw", "ehc_requests"]),
                check_name="ehc_requests_matches_schema",
                passed=False,
                metadata={
                    "rows_checked": 100,
                    "failures": 2,
                    "by_rule": dg.MetadataValue.md(
                        "| column | check | failures |\n|---|---|---|\n| decision | isin | 2 |"
                    ),
                },
            )
        ),
        _check(
            AssetCheckEvaluation(
                asset_key=dg.AssetKey(["raw", "advice_requests"]),
                check_name="advice_requests_matches_schema",
                passed=True,
            )
        ),
        _event("STEP_START", "sendkpi_dbt_models"),
        _event("STEP_FAILURE", "sendkpi_dbt_models", error=error),
        _event("STEP_SKIPPED", "published__marts"),
        _event("PIPELINE_FAILURE", error=None),
    ]


def test_summary_of_hand_made_events():
    summary = summarise_run(_hand_made_events(), published=False)
    assert summary["outcome"] == "not published"
    assert summary["failed_steps"] == [
        {"step": "sendkpi_dbt_models", "error": "Error in step \"sendkpi_dbt_models\" <- KeyError: 'home_la'"}
    ]
    assert summary["reasons"][0].startswith("step sendkpi_dbt_models failed")
    assert "check ehc_requests_matches_schema on raw/ehc_requests failed" in summary["reasons"]
    assert summary["steps"] == {
        "local_extracts": "succeeded",
        "sendkpi_dbt_models": "failed",
        "published__marts": "skipped",
    }
    files = summary["files"]
    assert (files["files_seen"], files["files_loaded"], files["files_unchanged"], files["files_rejected"]) == (
        3,
        1,
        1,
        1,
    )
    assert (files["rows_loaded"], files["rows_quarantined"]) == (100, 3)
    assert [(f["file"], f["status"], f["rows_quarantined"]) for f in files["files"]] == [
        ("ehc_requests_2023-24_Q1.csv", "loaded", 3),
        ("ehc_requests_2023-24_Q2.csv", "unchanged", 0),
        ("advice_2023-24.csv", "rejected", 0),
    ]
    assert files["files"][2]["message"] == "no period in file name"
    checks = summary["checks"]
    assert (checks["run"], checks["passed"], checks["failed"]) == (2, 1, 1)
    assert checks["failed_checks"][0]["details"]["failures"] == 2
    assert summary["publish"] is None


def test_summary_of_events_before_anything_ran():
    summary = summarise_run([], published=False)
    assert summary["reasons"] == ["the run did not reach the publish step"]
    assert summary["files"] is None and summary["publish"] is None
    assert summary["checks"]["run"] == 0


def test_report_from_hand_made_events_without_a_warehouse(tmp_path):
    path = write_run_report(_settings(tmp_path), "0123456789abcdef", _hand_made_events(), published=False)
    assert path.name.endswith("_01234567.md")
    text = path.read_text(encoding="utf-8")
    assert "**Nothing was published**" in text
    assert "KeyError: 'home_la'" in text
    assert "| advice_requests | advice_2023-24.csv | rejected | 0 | 0 | no period in file name |" in text
    # Quarantined rows whose reasons the run did not record (no load step said why): said, not hidden.
    assert "3 rows were quarantined; the run did not record why: `raw.quarantine`" in text
    assert "| ehc_requests_matches_schema | raw/ehc_requests |" in text and "| decision | isin | 2 |" in text
    assert "1 passed, 1 failed" in text


def _reason(extract: str, file: str, column: str | None, rule: str, first_rows: list[int]) -> dict:
    return {
        "extract": extract,
        "file": file,
        "column": column,
        "rule": rule,
        "rows": len(first_rows),
        "first_rows": first_rows,
    }


def test_the_reasons_rows_were_quarantined_come_from_every_loading_step(tmp_path):
    """The extracts' step and each returns table record why rows were quarantined; the
    summary gathers them (most rows first within a file) and the report lists them."""
    extract_file, dsg_file = "ehc_requests_2023-24_Q1.csv", "dsg_2024-25.csv"
    extract_reasons = [
        _reason("ehc_requests", extract_file, "decision", "isin", [7]),
        _reason("ehc_requests", extract_file, "age_at_request", "whole number", [3, 4]),
    ]
    dsg_reasons = [_reason("dsg_monitoring", dsg_file, "budget", "not a number", [2])]
    outcome = _outcome("ehc_requests", extract_file, "loaded", 100, 3, "loaded 100 of 103 rows, quarantined 3")
    events = [
        _materialisation(["raw", "load_log"], extract_outcomes_metadata([outcome])),
        _materialisation(
            ["raw", "quarantine"], {"rows_quarantined": 3, **quarantine_reasons_metadata(extract_reasons)}
        ),
        _materialisation(["raw", "dsg_monitoring"], quarantine_reasons_metadata(dsg_reasons)),
        _materialisation(["raw", "dsg_high_needs"], quarantine_reasons_metadata([])),
    ]
    summary = summarise_run(events, published=False)
    assert summary["quarantine_recorded"] is True
    assert [(q["extract"], q["column"], q["rows"]) for q in summary["quarantine"]] == [
        ("dsg_monitoring", "budget", 1),
        ("ehc_requests", "age_at_request", 2),
        ("ehc_requests", "decision", 1),
    ]
    text = write_run_report(_settings(tmp_path), "fedcba9876543210", events, published=False).read_text("utf-8")
    quarantined = text.split("## Rows quarantined")[1].split("## Checks")[0]
    assert f"| ehc_requests | {extract_file} | age_at_request | whole number | 2 | 3, 4 |" in quarantined
    assert f"| ehc_requests | {extract_file} | decision | isin | 1 | 7 |" in quarantined
    assert f"| dsg_monitoring | {dsg_file} | budget | not a number | 1 | 2 |" in quarantined
    assert "did not record why" not in quarantined


def test_a_load_without_quarantined_rows_says_so(tmp_path):
    outcome = _outcome("ehc_requests", "ehc_requests_2023-24_Q1.csv", "loaded", 100, 0, "loaded 100 rows")
    events = [
        _materialisation(["raw", "load_log"], extract_outcomes_metadata([outcome])),
        _materialisation(["raw", "quarantine"], {"rows_quarantined": 0, **quarantine_reasons_metadata([])}),
    ]
    text = write_run_report(_settings(tmp_path), "fedcba9876543210", events, published=False).read_text("utf-8")
    assert "No rows were quarantined in this run." in text


def test_returns_quarantined_while_the_extracts_step_failed_are_still_listed(tmp_path):
    reasons = [_reason("neet_16_17", "neet_2024-25.csv", "month", "a month like 2024-12", [4])]
    events = [_materialisation(["raw", "neet_16_17"], quarantine_reasons_metadata(reasons))]
    text = write_run_report(_settings(tmp_path), "fedcba9876543210", events, published=False).read_text("utf-8")
    assert "| neet_16_17 | neet_2024-25.csv | month | a month like 2024-12 | 1 | 4 |" in text
