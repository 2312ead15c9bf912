"""The nightly schedule and the drop-zone sensor, run against a temporary data folder."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from pipelines.assets.ingest import quarters_of_run
from pipelines.definitions import defs
from pipelines.partitions import (
    FINANCIAL_QUARTERS,
    RANGE_END_TAG,
    RANGE_START_TAG,
    financial_quarter_keys,
    quarters_to_date,
    register_quarters,
)
from pipelines.periods import FinancialQuarter
from pipelines.sensors import new_extract_files
from tests.conftest import SAMPLE_EXTRACT_FILES, environment
from tests.test_notify import smtp_server  # noqa: F401 (a fixture: a loopback SMTP server)

HEADER = (
    "request_id,child_id,request_received_date,decision_date,decision,assessment_outcome,"
    "assessment_outcome_date,exception_reason,age_at_request,primary_need\n"
)


def _write(raw: Path, name: str, rows: str = "R1,C1,2023-07-03,,,,,,7,ASD\n") -> Path:
    path = raw / "ehc_requests" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + rows)
    return path


def _tick(cursor: str | None):
    context = dg.build_sensor_context(cursor=cursor, instance=dg.DagsterInstance.ephemeral())
    result = new_extract_files(context)
    return result, context.cursor


def test_quarter_keys_run_in_order_across_financial_years():
    keys = financial_quarter_keys(FinancialQuarter(2022, 3), FinancialQuarter(2023, 2))
    assert keys == ["2022-23_Q3", "2022-23_Q4", "2023-24_Q1", "2023-24_Q2"]


def test_partitions_cover_the_first_quarter_setting_to_today():
    keys = quarters_to_date()
    assert keys[0] == "2014-15_Q1"
    assert keys[-1] == FinancialQuarter.containing(datetime.now().date()).label


def test_a_new_quarter_becomes_a_partition_on_its_first_day_without_reloading_the_code():
    """The partitions are not frozen at import: the same loaded code gains 2026-27_Q2 on 1 July."""
    instance = dg.DagsterInstance.ephemeral()
    added = register_quarters(instance, today=date(2026, 6, 30))
    assert added[0] == "2014-15_Q1" and added[-1] == "2026-27_Q1"
    assert register_quarters(instance, today=date(2026, 6, 30)) == []
    assert register_quarters(instance, today=date(2026, 7, 1)) == ["2026-27_Q2"]
    keys = FINANCIAL_QUARTERS.get_partition_keys(dynamic_partitions_store=instance)
    assert keys[-2:] == ["2026-27_Q1", "2026-27_Q2"] and len(keys) == len(set(keys)) == 50


def test_the_quarters_sensor_adds_only_the_quarters_the_instance_lacks():
    from pipelines.sensors import new_financial_quarters

    instance = dg.DagsterInstance.ephemeral()
    result = new_financial_quarters(dg.build_sensor_context(instance=instance))
    [request] = result.dynamic_partitions_requests
    assert list(request.partition_keys) == quarters_to_date()
    register_quarters(instance)
    assert isinstance(new_financial_quarters(dg.build_sensor_context(instance=instance)), dg.SkipReason)


def test_a_run_over_every_quarter_loads_every_file_and_one_quarter_only_its_own():
    every = quarters_to_date()
    assert quarters_of_run(every, every) is None
    assert quarters_of_run(["2023-24_Q2"], every) == {"2023-24_Q2"}


def test_nightly_schedule_runs_at_two_in_london_over_every_quarter(tmp_path: Path):
    schedule = defs.resolve_schedule_def("nightly_refresh")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/London"
    when = datetime(2026, 7, 1, 2, 0, tzinfo=ZoneInfo("Europe/London"))
    # A data folder never published: the schedule has work to do (tests/test_incremental.py has
    # the skip when nothing changed), whatever the checkout's own data/ holds.
    with dg.instance_for_test() as instance, environment(SENDKPI_DATA_DIR=str(tmp_path)):
        tick = schedule.evaluate_tick(dg.build_schedule_context(instance=instance, scheduled_execution_time=when))
        # The run names partitions the instance knows: the schedule registered them.
        registered = FINANCIAL_QUARTERS.get_partition_keys(dynamic_partitions_store=instance)
    request = tick.run_requests[0]
    keys = quarters_to_date()
    assert registered == keys
    assert (request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]) == (keys[0], keys[-1])
    assert request.run_key == "nightly-2026-07-01"


def test_sensor_starts_a_run_for_a_new_file_and_only_once(tmp_path: Path):
    with environment(SENDKPI_DATA_DIR=str(tmp_path)):
        result, cursor = _tick(None)
        assert isinstance(result, dg.SkipReason)
        _write(tmp_path / "raw", "ehc_requests_2023-24_Q2.csv")
        result, cursor = _tick(cursor)
        assert isinstance(result, dg.RunRequest)
        assert (result.tags[RANGE_START_TAG], result.tags[RANGE_END_TAG]) == ("2023-24_Q2", "2023-24_Q2")
        again, cursor = _tick(cursor)
        assert isinstance(again, dg.SkipReason)
        assert list(json.loads(cursor)) == ["ehc_requests/ehc_requests_2023-24_Q2.csv"]


def test_sensor_follows_content_not_timestamps(tmp_path: Path):
    with environment(SENDKPI_DATA_DIR=str(tmp_path)):
        path = _write(tmp_path / "raw", "ehc_requests_2022-23_Q4.csv")
        _, cursor = _tick(None)
        # Touched but unchanged: no run.
        path.touch()
        assert isinstance(_tick(cursor)[0], dg.SkipReason)
        # A corrected file for an old quarter: a run for that quarter.
        _write(tmp_path / "raw", "ehc_requests_2022-23_Q4.csv", rows="R1,C1,2023-01-03,,,,,,8,ASD\n")
        result, _ = _tick(cursor)
        assert isinstance(result, dg.RunRequest)
        assert (result.tags[RANGE_START_TAG], result.tags[RANGE_END_TAG]) == ("2022-23_Q4", "2022-23_Q4")


def test_sensor_spans_changed_quarters_in_one_run_and_whole_range_for_unnamed_files(tmp_path: Path):
    with environment(SENDKPI_DATA_DIR=str(tmp_path)):
        _, cursor = _tick(None)
        _write(tmp_path / "raw", "ehc_requests_2021-22_Q3.csv")
        _write(tmp_path / "raw", "ehc_requests_2023-24_Q1.csv")
        result, cursor = _tick(cursor)
        assert (result.tags[RANGE_START_TAG], result.tags[RANGE_END_TAG]) == ("2021-22_Q3", "2023-24_Q1")
        shutil.copy(
            tmp_path / "raw" / "ehc_requests" / "ehc_requests_2021-22_Q3.csv",
            tmp_path / "raw" / "ehc_requests" / "latest export.csv",
        )
        result, _ = _tick(cursor)
        keys = quarters_to_date()
        assert (result.tags[RANGE_START_TAG], result.tags[RANGE_END_TAG]) == (keys[0], keys[-1])


def test_schedule_and_sensor_are_on_by_default():
    assert defs.resolve_schedule_def("nightly_refresh").default_status == dg.DefaultScheduleStatus.RUNNING
    assert defs.resolve_sensor_def("new_extract_files").default_status == dg.DefaultSensorStatus.RUNNING


@pytest.mark.e2e
def test_run_report_sensors_write_a_report_for_scheduled_runs_and_skip_cli_runs(tmp_path: Path):
    from pipelines.partitions import all_quarters_tags
    from pipelines.sensors import report_successful_run
    from tests.conftest import write_sample

    benchmarks = write_sample(tmp_path)
    instance = dg.DagsterInstance.ephemeral()
    with environment(
        SENDKPI_DATA_DIR=str(tmp_path),
        SENDKPI_BENCHMARKS_DIR=str(benchmarks),
        SENDKPI_HOME_LA="990",
        SENDKPI_PSEUDONYMISATION_KEY=None,
    ):
        job = defs.resolve_job_def("refresh_all")
        scheduled = job.execute_in_process(instance=instance, tags=all_quarters_tags(instance), raise_on_error=False)
        assert scheduled.success
        context = dg.build_run_status_sensor_context(
            sensor_name="report_successful_run",
            dagster_instance=instance,
            dagster_run=scheduled.dagster_run,
            dagster_event=scheduled.get_run_success_event(),
        )
        assert report_successful_run(context) is None
        reports = list((tmp_path / "run_reports").glob("*.md"))
        assert len(reports) == 1
        text = reports[0].read_text()
        assert "**Published.**" in text and f"{SAMPLE_EXTRACT_FILES} seen, {SAMPLE_EXTRACT_FILES} loaded" in text

        cli_run = job.execute_in_process(
            instance=instance, tags={**all_quarters_tags(instance), "sendkpi/launched_by": "cli"}, raise_on_error=False
        )
        context = dg.build_run_status_sensor_context(
            sensor_name="report_successful_run",
            dagster_instance=instance,
            dagster_run=cli_run.dagster_run,
            dagster_event=cli_run.get_run_success_event(),
        )
        assert isinstance(report_successful_run(context), dg.SkipReason)
        assert len(list((tmp_path / "run_reports").glob("*.md"))) == 1


@pytest.mark.e2e
def test_a_failed_unattended_run_is_reported_and_emailed(demo_copy, smtp_server):  # noqa: F811
    """A scheduled run (on the built demo) for an authority DfE's reference data does not
    know fails in dbt; the failure sensor writes its report and emails its outcome through
    the loopback server."""
    from pipelines.partitions import all_quarters_tags
    from pipelines.sensors import report_failed_run

    instance = dg.DagsterInstance.ephemeral()
    with environment(
        SENDKPI_DATA_DIR=str(demo_copy.data_dir),
        SENDKPI_BENCHMARKS_DIR=str(demo_copy.benchmarks_dir),
        SENDKPI_HOME_LA="999",
        SENDKPI_PSEUDONYMISATION_KEY=None,
        SENDKPI_NOTIFY_SMTP_HOST="127.0.0.1",
        SENDKPI_NOTIFY_SMTP_PORT=str(smtp_server.server_address[1]),
        SENDKPI_NOTIFY_EMAIL_TO="send.team@council.example",
    ):
        failed = defs.resolve_job_def("refresh_all").execute_in_process(
            instance=instance, tags=all_quarters_tags(instance), raise_on_error=False
        )
        assert not failed.success
        context = dg.build_run_status_sensor_context(
            sensor_name="report_failed_run",
            dagster_instance=instance,
            dagster_run=failed.dagster_run,
            dagster_event=failed.get_run_failure_event(),
        ).for_run_failure()
        assert report_failed_run(context) is None
    [report] = (demo_copy.data_dir / "run_reports").glob("*.md")
    [(_, message)] = smtp_server.messages
    assert message["Subject"] == f"SEND KPI refresh failed (run {failed.run_id[:8]}, LA 999)"
    body = message.get_content()
    assert "Nothing was published" in body and "sendkpi_dbt_models failed" in body and str(report) in body
