"""`sendkpi`: the command line for analysts.

sendkpi materialise        load, validate, build, test and publish (the refresh_all job)
sendkpi validate FILE      check one extract or returns file against its rules, loading nothing
sendkpi accept FILE        make a held-back extract file the current load of its quarter
sendkpi report             write the scorecard page and the finance workbook again (a new published set)
sendkpi published list     the kept published sets: when, which run, which is current
sendkpi published rollback [SET]  make the set before the current one (or SET) current again
sendkpi scorecard          print the headline comparison from the published marts
sendkpi serve              the Dagster UI and daemon as a service (schedule, sensors, one run queue)
sendkpi prepare            parse the dbt project into its manifest when it changed (make install runs it)
sendkpi docs [--check]     regenerate docs tables and dbt sources from the contracts (schemas/)
sendkpi benchmarks fetch   download DfE's current releases (EES API) into raw/benchmarks

The synthetic sample and the demo are not part of the product: `make demo` runs
`python -m synthetic_sample demo` from the repository.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb

from pipelines.ingest.returns import RETURN_FOLDERS, ReturnFolder
from pipelines.periods import FinancialQuarter
from pipelines.settings import Settings, SettingsError, load_settings

# Runs started from the command line write their own report; the run-report sensors
# (pipelines/sensors.py) leave them alone.
CLI_RUN_TAG = {"sendkpi/launched_by": "cli"}
# Runs the CLI puts on a running service's queue: the service reports them (it runs them).
SERVICE_QUEUE_RUN_TAG = {"sendkpi/launched_by": "cli-via-service"}


def _instance():

    import dagster as dg

    # A DAGSTER_HOME (as `dagster dev` uses) keeps the run in the UI's history.
    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def materialise(settings: Settings, quarter: str | None = None, full_refresh: bool = False) -> int:
    """Every quarter's files (the default) or one quarter's, then marts and publishing. With
    nothing changed since the last published run (files, settings, code), nothing to do.
    Where `sendkpi serve` runs for this data folder, the run joins its queue."""
    from pipelines.fingerprint import unchanged_since_published

    if not quarter and not full_refresh:
        last_run = unchanged_since_published(settings)
        if last_run:
            print(
                f"Nothing changed since run {last_run} published (raw files, DfE files, settings, code): "
                f"nothing to do. `sendkpi materialise --full-refresh` rebuilds anyway."
            )
            return 0

    scope_text = f"quarter {quarter}" if quarter else "all quarters"
    print(
        f"Materialising {scope_text} for LA {settings.home_la}: raw files from {settings.raw_dir}, "
        f"DfE files from {settings.benchmarks_dir}"
    )
    # Imported after the nothing-changed check: that answer should come without loading Dagster.
    from pipelines.releases import current_name
    from pipelines.run_queue import SubmitError, running_service
    from pipelines.run_report import files_sentence, published_in, summarise_run, write_run_report

    service = running_service(settings)
    try:
        run_id, events, success = _through_service(service, quarter) if service else _in_process(quarter)
    except SubmitError as error:
        print(f"The service at {service.home}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if service is None:
            raise
        print("Stopped following the run: it goes on in the service (see the Dagster UI).", file=sys.stderr)
        return 130
    published = published_in(events)
    summary = summarise_run(events, published)
    files = summary["files"]
    if files:
        print(f"Extract files: {files_sentence(files)}")
    for reason in summary["reasons"] + summary["problems"]:
        print(f"  {reason}", file=sys.stderr)
    try:
        report = (
            f"written by the service into {settings.run_reports_dir}"
            if service
            else write_run_report(settings, run_id, events, published)
        )
    except OSError as error:  # a full disk, a read-only folder: say so, the run's outcome stands
        report = (
            f"not written ({error.strerror or error}: {getattr(error, 'filename', None) or settings.run_reports_dir})"
        )
        print(f"The run report could not be written: {report}", file=sys.stderr)
    if published:
        print(
            f"Published set {current_name(settings)}: {settings.marts_dir}/*.parquet, {settings.warehouse_path} "
            f"and {settings.data_dir / 'published'} (open data, small numbers suppressed); "
            "`sendkpi published list` shows the sets kept"
        )
        print(
            f"Scorecard (open in any browser): {settings.data_dir / 'published' / 'scorecard.html'}; "
            f"workbook: {settings.data_dir / 'published' / 'send_kpis.xlsx'}"
        )
    else:
        print("Nothing was published: the last published marts are unchanged.", file=sys.stderr)
    print(f"Run report: {report}")
    return 0 if published and success else 1


def _in_process(quarter: str | None) -> tuple[str, list, bool]:
    """The run in this process (no service running), holding the warehouse's writer slot."""
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.partitions import all_quarters_tags, register_quarters
    from pipelines.progress import terminal_progress_logger

    # Dagster's console log stays quiet (warnings); the progress logger says which step and how far.
    job = defs.resolve_job_def("refresh_all").with_logger_defs(
        {"console": dg.colored_console_logger, "progress": terminal_progress_logger}
    )
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}, "progress": {}}}
    instance = _instance()
    register_quarters(instance)
    scope = {"partition_key": quarter} if quarter else {"tags": all_quarters_tags(instance)}
    scope["tags"] = {**scope.get("tags", {}), **CLI_RUN_TAG}
    result = job.execute_in_process(instance=instance, run_config=quiet, raise_on_error=False, **scope)
    return result.run_id, result.all_events, result.success


def _through_service(service, quarter: str | None) -> tuple[str, list, bool]:
    """The run submitted to the running service's queue and followed to its end; the
    service's report sensor writes its run report."""
    import dagster as dg

    from pipelines.partitions import all_quarters_tags, register_quarters
    from pipelines.run_queue import follow, queue_is_served, run_events, service_instance, submit

    with service_instance(service) as instance:
        if not queue_is_served(instance):
            print("The service's daemon has not beaten lately: the run waits until it dequeues it.", file=sys.stderr)
        register_quarters(instance)
        tags = {"dagster/partition": quarter} if quarter else all_quarters_tags(instance)
        run_id = submit(service, {**tags, **SERVICE_QUEUE_RUN_TAG})
        print(
            f"Submitted to the service's run queue as run {run_id[:8]} (Dagster home {service.home}); "
            "following it (Ctrl-C stops following, not the run)."
        )
        run = follow(instance, run_id)
        return run_id, run_events(instance, run_id), run.status == dg.DagsterRunStatus.SUCCESS


RETURNS_BY_FOLDER = {returns.folder: returns for returns in RETURN_FOLDERS}


def _validate_return(returns: ReturnFolder, path: Path) -> int:
    """Check one file of an aggregate return (DSG, NEET, school census) on its own: a copy in a
    temporary folder is loaded into a throw-away in-memory warehouse."""
    from pipelines.ingest.returns import load_returns_folder

    with tempfile.TemporaryDirectory() as folder:
        shutil.copy2(path, Path(folder) / path.name)
        connection = duckdb.connect()
        [outcome] = load_returns_folder(connection, returns, Path(folder))
        print(outcome.message.replace(str(Path(folder) / path.name), str(path)))
        clean = _print_quarantine(connection)
    return 0 if outcome.layout is not None and clean else 1


def _print_quarantine(connection: duckdb.DuckDBPyConnection) -> bool:
    """Print the rows a validation would quarantine (row, column, rule, value); True when none."""
    failures = connection.execute(
        "select source_row_number as row, column_name as column, check_name as rule, original_value "
        "from raw.quarantine order by source_row_number, column_name"
    ).df()
    if not failures.empty:
        print(failures.to_string(index=False))
    return failures.empty


def validate(settings: Settings, path: Path, extract: str | None) -> int:
    from pipelines.ingest.drop_zone import classify
    from pipelines.ingest.extracts import load_extract_file
    from pipelines.ingest.keys import pseudonymisation_key
    from pipelines.warehouse import ensure_raw_tables
    from schemas import EXTRACTS

    if not path.exists() and not path.is_symlink():
        print(f"{path} does not exist", file=sys.stderr)
        return 2
    name = extract or path.resolve().parent.name
    readable, notice = classify(path, name, path.parent.parent)
    if not readable:
        print(f"{path}: {'rejected' if notice.rejected else 'not loaded'}: {notice.reason}")
        return 2 if path.is_dir() else 1
    if name in RETURNS_BY_FOLDER:
        return _validate_return(RETURNS_BY_FOLDER[name], path)
    if name not in EXTRACTS:
        known = ", ".join([*EXTRACTS, *RETURNS_BY_FOLDER])
        print(f"{path}: cannot tell which extract this is; pass --extract ({known})", file=sys.stderr)
        return 2
    spec = EXTRACTS[name]
    # A throw-away in-memory warehouse: validation loads nothing anywhere.
    connection = duckdb.connect()
    ensure_raw_tables(connection, [spec])
    outcome = load_extract_file(connection, spec, path, pseudonymisation_key(settings))
    checked = outcome.status in ("loaded", "held")
    if checked:
        print(
            f"{path}: {outcome.rows_loaded} of {outcome.rows_in_file} rows pass every rule; "
            f"{outcome.rows_quarantined} would be quarantined"
        )
    else:
        print(outcome.message)
    clean = _print_quarantine(connection)
    if outcome.status == "held":
        print(f"A run would hold this file back: {outcome.message.removeprefix('held back ')}")
    return 0 if checked and clean else 1


def scorecard(settings: Settings) -> int:
    from pipelines.scorecard import HEADLINE_MART, headline, render

    mart = settings.marts_dir / HEADLINE_MART
    if not mart.exists():
        print(f"{mart} does not exist yet: run `sendkpi materialise` first.", file=sys.stderr)
        return 1
    print(render(headline(settings.marts_dir)))
    return 0


def prepare() -> int:
    from pipelines.dbt_project import prepare_manifest, sendkpi_dbt_project

    parsed = prepare_manifest()
    print(f"dbt manifest {'written' if parsed else 'already current'}: {sendkpi_dbt_project.manifest_path}")
    return 0


def benchmarks_fetch(settings: Settings) -> int:
    from pipelines.fetch import FetchError, fetch_benchmarks, provenance_path

    def report(outcome) -> None:
        print(outcome.message, file=sys.stdout if outcome.ok else sys.stderr)

    print(f"Fetching DfE data sets from {settings.fetch.ees_api_url} into {settings.fetched_benchmarks_dir}")
    try:
        outcomes = fetch_benchmarks(settings, report)
    except FetchError as error:
        print(f"Benchmarks fetch: {error}", file=sys.stderr)
        return 1
    fetched = sum(outcome.ok for outcome in outcomes)
    print(f"Fetched {fetched} of {len(outcomes)} data sets; provenance in {provenance_path(settings)}")
    if fetched and not settings.fetched_benchmarks_dir.is_relative_to(settings.benchmarks_dir):
        print(
            f"The pipeline reads DfE files from {settings.benchmarks_dir}: set benchmarks_dir "
            f"(or SENDKPI_BENCHMARKS_DIR) to {settings.fetched_benchmarks_dir} to use these."
        )
    return 0 if fetched == len(outcomes) else 1


def accept(settings: Settings, path: Path, extract: str | None) -> int:
    """Make a held-back file the current load of its quarter (docs/operations.md)."""
    from pipelines.ingest.extracts import accept_held
    from pipelines.warehouse import connect, ensure_raw_tables
    from pipelines.writer_slot import writer_slot
    from schemas import EXTRACTS

    name = extract or path.resolve().parent.name
    if name not in EXTRACTS:
        print(f"{path}: cannot tell which extract this is; pass --extract ({', '.join(EXTRACTS)})", file=sys.stderr)
        return 2
    if not settings.build_warehouse_path.exists():
        print(f"{settings.build_warehouse_path} does not exist: nothing has been loaded yet.", file=sys.stderr)
        return 1

    # It writes the ledger: a run writing the warehouse finishes first (its dbt would fail on the lock).
    def waiting(message: str) -> None:
        print(message, file=sys.stderr)

    with (
        writer_slot(settings.build_warehouse_path, "sendkpi accept", waiting),
        connect(settings.build_warehouse_path) as connection,
    ):
        ensure_raw_tables(connection, EXTRACTS.values())
        try:
            print(accept_held(connection, EXTRACTS[name], path))
        except (LookupError, OSError) as error:
            print(str(error), file=sys.stderr)
            return 1
    from pipelines.fingerprint import forget_published

    forget_published(settings)  # the ledger changed: the next run must rebuild
    print("Run `sendkpi materialise` to rebuild and publish the marts with it.")
    return 0


def report(settings: Settings) -> int:
    """The scrutiny pack redrawn from what is published now, as a new published set (the
    current one is kept as it was, for rollback)."""
    from pipelines import releases
    from pipelines.report.write import pack_paths, write_scrutiny_pack

    try:
        building, run_id = releases.new_set_from_current(settings)
    except releases.PublishError as error:
        print(str(error), file=sys.stderr)
        return 1
    write_scrutiny_pack(settings, "written by `sendkpi report`", building)
    name = releases.complete(settings, run_id, note="scrutiny pack redrawn by `sendkpi report`")
    print(f"Published set {name} (the data of run {run_id}, the scrutiny pack redrawn) is current:")
    for path in pack_paths(releases.documented(settings)):
        print(f"  {path}")
    print("Open scorecard.html in any browser (it needs no network); send_kpis.xlsx in Excel or LibreOffice.")
    return 0


def published_list(settings: Settings) -> int:
    from pipelines import releases

    names = releases.set_names(settings)
    if not names:
        print(f"Nothing is published in {settings.data_dir} yet: run `sendkpi materialise`.")
        return 0
    current = releases.current_name(settings)
    print(f"Published sets in {releases.releases_dir(settings)} (newest last; * = current, read through data/current):")
    for name in names:
        manifest = releases.read_manifest(settings, name)
        inputs = manifest["inputs"]
        marts = sum(1 for path in manifest["files"] if path.startswith("marts/"))
        print(
            f"{'*' if name == current else ' '} {name}  run {manifest['run_id']}  published {manifest['published_at']}  "
            f"{marts} marts, {len(inputs.get('extract_files', []))} extract files, "
            f"{len(inputs.get('dfe_files', []))} DfE files{'  (' + manifest['note'] + ')' if manifest['note'] else ''}"
        )
    return 0


def published_rollback(settings: Settings, to: str | None) -> int:
    from pipelines import releases

    before = releases.current_name(settings)
    try:
        name = releases.rollback(settings, to)
    except releases.PublishError as error:
        print(str(error), file=sys.stderr)
        return 1
    print(
        f"Published set {name} is current again (was {before}): data/marts, data/warehouse.duckdb and data/published show it."
    )
    print(
        "A run with the same inputs as the last one has nothing to do, so the nightly run keeps this set "
        "until a file, a setting or the code changes (or `sendkpi materialise --full-refresh`)."
    )
    return 0


def docs(check: bool) -> int:
    """Regenerate what the contracts give (docs tables, dbt sources); --check: report drift."""
    from pipelines.contract_docs import stale_files, write_generated_files

    if check:
        stale = stale_files()
        for path in stale:
            print(f"{path}: differs from the contracts in schemas/; run `sendkpi docs`", file=sys.stderr)
        return 1 if stale else 0
    for path in write_generated_files():
        print(f"Rewrote {path}")
    return 0


def _checked_quarter(text: str | None) -> str | None:
    from pipelines.partitions import quarters_to_date

    if text is None:
        return None
    quarter = FinancialQuarter.find_in(text)
    if quarter is None or quarter.label not in quarters_to_date():
        raise SettingsError(f"--quarter {text!r} is not a financial quarter the warehouse covers (like 2023-24_Q2)")
    return quarter.label


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sendkpi", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("materialise", help="load, validate, build, test and publish")
    run.add_argument("--quarter", help="load only this financial quarter's files, e.g. 2023-24_Q2")
    run.add_argument(
        "--full-refresh", action="store_true", help="run even when nothing changed since the last published run"
    )
    check = commands.add_parser("validate", help="check one extract file, loading nothing")
    check.add_argument("file", type=Path)
    check.add_argument(
        "--extract", help="extract or returns folder name (neet, school_census, dsg) when the file is not in its folder"
    )
    take = commands.add_parser("accept", help="make a held-back extract file the current load of its quarter")
    take.add_argument("file", type=Path)
    take.add_argument("--extract", help="extract name when the file is not in its folder")
    commands.add_parser("scorecard", help="print the headline comparison table")
    commands.add_parser("report", help="write data/published/scorecard.html and send_kpis.xlsx again")
    published = commands.add_parser("published", help="the published sets: list, rollback")
    published_commands = published.add_subparsers(dest="published_command", required=True)
    published_commands.add_parser("list", help="the kept published sets, the current one marked")
    back = published_commands.add_parser("rollback", help="make an earlier published set current again")
    back.add_argument("set", nargs="?", help="the set to make current (default: the one before the current set)")
    serve_parser = commands.add_parser("serve", help="run the Dagster UI and daemon (schedule, sensors, run queue)")
    serve_parser.add_argument("--host", default="127.0.0.1", help="address the UI listens on (0.0.0.0: every)")
    serve_parser.add_argument("--port", type=int, default=3000)
    commands.add_parser("prepare", help="parse the dbt project into its manifest if it changed (make install does)")
    generate = commands.add_parser("docs", help="regenerate the column tables and dbt sources from the contracts")
    generate.add_argument("--check", action="store_true", help="only report files that differ from the contracts")
    benchmarks = commands.add_parser("benchmarks", help="DfE published data: fetch")
    benchmarks.add_subparsers(dest="benchmarks_command", required=True).add_parser(
        "fetch", help="download DfE's current releases from the EES API into raw/benchmarks, checked"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    if arguments.command == "prepare":  # needs no settings: CI runs it before anything is set
        return prepare()
    try:
        settings = load_settings()
        if arguments.command == "materialise":
            return materialise(settings, _checked_quarter(arguments.quarter), arguments.full_refresh)
        if arguments.command == "validate":
            return validate(settings, arguments.file, arguments.extract)
        if arguments.command == "scorecard":
            return scorecard(settings)
        if arguments.command == "report":
            return report(settings)
        if arguments.command == "published":
            if arguments.published_command == "list":
                return published_list(settings)
            return published_rollback(settings, arguments.set)
        if arguments.command == "accept":
            return accept(settings, arguments.file, arguments.extract)
        if arguments.command == "docs":
            return docs(arguments.check)
        if arguments.command == "serve":
            from pipelines.service import serve

            return serve(settings, arguments.host, arguments.port)
        return benchmarks_fetch(settings)
    except SettingsError as error:
        print(f"Settings: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
