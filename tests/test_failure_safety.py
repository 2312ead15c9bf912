"""A run that fails publishes nothing: the last good marts stay byte-for-byte as they were."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from tests.conftest import SAMPLE_EXTRACT_FILES, PipelineRun, run_pipeline, step_failure_messages, write_sample

pytestmark = pytest.mark.e2e  # each test runs the whole pipeline (most on a copy of the built demo)


def _fingerprints(run: PipelineRun) -> dict[str, str]:
    published = sorted(run.marts_dir.glob("*.parquet")) + [run.data_dir / "warehouse.duckdb"]
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in published}


def test_unknown_home_la_fails_the_build_and_keeps_the_published_marts(demo_copy: PipelineRun):
    before = _fingerprints(demo_copy)
    failed = demo_copy.again(home_la="123")
    assert not failed.success
    failures = [event for event in failed.result.all_events if event.event_type_value == "STEP_FAILURE"]
    assert [event.step_key for event in failures] == ["sendkpi_dbt_models"]
    assert _fingerprints(demo_copy) == before


def test_stored_rows_breaking_the_schema_block_dbt_and_publishing(demo_copy: PipelineRun):
    before = _fingerprints(demo_copy)
    build = demo_copy.data_dir / "build" / "warehouse_build.duckdb"
    with duckdb.connect(str(build)) as connection:
        # A hand edit that no ingest would let through: a plan issued before its request.
        connection.execute(
            "update raw.ehc_requests set assessment_outcome_date = request_received_date - 10 "
            "where assessment_outcome = 'plan_issued' and source_period = '2023-24_Q4'"
        )
    failed = demo_copy.again()
    assert not failed.success
    evaluations = {
        event.event_specific_data.check_name: event.event_specific_data.passed
        for event in failed.result.all_events
        if event.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert evaluations["ehc_requests_matches_schema"] is False
    assert evaluations["advice_requests_matches_schema"] is True
    executed = {event.step_key for event in failed.result.all_events if event.event_type_value == "STEP_START"}
    assert "sendkpi_dbt_models" not in executed
    assert _fingerprints(demo_copy) == before


def test_second_run_on_the_same_files_loads_nothing_and_gives_the_same_marts(demo_copy: PipelineRun):
    first = duckdb.sql(f"select * from '{demo_copy.kpi_comparison}' order by all").fetchall()
    again = demo_copy.again()
    assert again.success
    with duckdb.connect(str(demo_copy.data_dir / "build" / "warehouse_build.duckdb"), read_only=True) as con:
        assert (
            con.execute("select count(*) from raw.load_log where status = 'current'").fetchone()[0]
            == SAMPLE_EXTRACT_FILES
        )
        assert con.execute("select count(*) from raw.load_log").fetchone()[0] == SAMPLE_EXTRACT_FILES
    assert duckdb.sql(f"select * from '{demo_copy.kpi_comparison}' order by all").fetchall() == first


def test_home_la_can_be_named_by_its_ons_code(demo_copy: PipelineRun):
    run = demo_copy.again(home_la="E06009990")
    assert run.success
    codes = duckdb.sql(f"select distinct la_code, la_new_code from '{run.kpi_comparison}'").fetchall()
    assert codes == [("990", "E06009990")]


def test_published_warehouse_holds_marts_and_reference_only(demo_run: PipelineRun):
    with duckdb.connect(str(demo_run.data_dir / "warehouse.duckdb"), read_only=True) as connection:
        schemas = {
            row[0]
            for row in connection.execute("select distinct table_schema from information_schema.tables").fetchall()
        }
    assert schemas == {"marts", "reference"}


def test_real_extract_without_a_key_refuses_to_start(tmp_path: Path):
    benchmarks = write_sample(tmp_path)
    real_looking = tmp_path / "raw" / "ehc_requests" / "ehc_requests_2024-25_Q1.csv"
    # A file that is not one of the bundled sample's (its content differs by one identifier).
    sample_file = next((tmp_path / "raw" / "ehc_requests").glob("*2023-24_Q4.csv"))
    header, first, *rest = sample_file.read_text().splitlines(keepends=True)
    real_looking.write_text("".join([header, "REAL-1" + first[first.index(",") :], *rest]))
    run = run_pipeline(tmp_path, benchmarks)
    assert not run.success
    # The reason is the step failure's own message, not buried in a wrapped cause.
    messages = step_failure_messages(run)
    assert "No pseudonymisation key" in messages
    assert not (tmp_path / "marts" / "kpi_comparison.parquet").exists()


def test_a_data_folder_whose_path_holds_a_quote_publishes(tmp_path):
    # Paths reach DuckDB statements that take no parameters (ATTACH, COPY ... TO): quoted, not pasted.
    data_dir = tmp_path / "O'Brien's data"
    run = run_pipeline(data_dir, write_sample(data_dir))
    assert run.success, step_failure_messages(run)
    assert (data_dir / "warehouse.duckdb").is_file()
    assert (data_dir / "marts" / "kpi_comparison.parquet").is_file()
    assert (data_dir / "published" / "kpi_comparison_public.csv").is_file()
