"""A run report an analyst reads without logs: one short Markdown file per run.

`summarise_run(events, published)` turns a Dagster run's events (`result.all_events` of
`execute_in_process`) into a plain dict: the outcome and why, the failed steps with their
errors (causes included), the extract files, the checks and what was published. It reads
nothing else, so it can be tested on hand-made events.

`write_run_report(settings, run_id, events, published)` writes it as
data/run_reports/<UTC timestamp>_<run id[:8]>.md atomically (a temporary name in the same
folder, then os.replace). Reports are kept: an existing report is never overwritten. The
reasons rows were quarantined are in the events too (each loading step records them), so a
report never opens the build warehouse, which the next run may already be writing.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.ingest.extracts import FileOutcome
from pipelines.settings import Settings

# DagsterEventType values (event.event_type_value), as pipelines/cli.py reads them.
STEP_START = "STEP_START"
STEP_SUCCESS = "STEP_SUCCESS"
STEP_FAILURE = "STEP_FAILURE"
STEP_SKIPPED = "STEP_SKIPPED"
RUN_FAILURE = "PIPELINE_FAILURE"  # DagsterEventType.RUN_FAILURE
ASSET_MATERIALIZATION = "ASSET_MATERIALIZATION"
ASSET_CHECK_EVALUATION = "ASSET_CHECK_EVALUATION"

LOAD_LOG_ASSET = "raw/load_log"
PUBLISH_ASSET = "published/marts"
# A run has published when its set became current: the last publishing step.
PUBLISHED_SET_ASSET = "published/current"
DFE_FILES_ASSET = "raw/dfe_files"
FILE_COUNTS = (
    "files_seen",
    "files_loaded",
    "files_unchanged",
    "files_rejected",
    "rows_loaded",
    "rows_quarantined",
    "files_held",
    "files_restored",
    "files_ignored",
)
# dbt adds these to every check; they say nothing about why a check failed.
_CHECK_NOISE = {"Execution Duration", "unique_id", "invocation_id", "status"}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_ROW_NUMBERS_SHOWN = 5


def extract_outcomes_metadata(outcomes: list[FileOutcome]) -> dict[str, object]:
    statuses = Counter(outcome.status for outcome in outcomes)
    table = "\n".join(
        f"| {o.extract} | {o.path.name} | {o.status} | {o.rows_loaded} | {o.rows_quarantined} | {o.message} |"
        for o in outcomes
    )
    return {
        "files_seen": len(outcomes),
        "files_loaded": statuses["loaded"],
        "files_unchanged": statuses["unchanged"],
        "files_rejected": statuses["rejected"],
        "files_held": statuses["held"],
        "files_restored": statuses["restored"],
        "files_ignored": statuses["ignored"],
        "rows_loaded": sum(outcome.rows_loaded for outcome in outcomes),
        "rows_quarantined": sum(outcome.rows_quarantined for outcome in outcomes),
        "files": dg.MetadataValue.md(
            "| extract | file | status | rows loaded | rows quarantined | message |\n|---|---|---|---|---|---|\n"
            + table
        ),
    }


# The metadata entry in which a returns asset (DSG, NEET, school census) lists its folder's files.
RETURN_FILES_KEY = "return_files"
# The metadata entry in which a loading step says why rows were quarantined (_reasons).
QUARANTINE_REASONS_KEY = "quarantine_reasons"


def return_files_metadata(folder: str, files: list) -> dict[str, object]:
    """One row per file of an aggregate-returns folder (pipelines/ingest/returns.ReturnFile)."""
    table = "\n".join(
        f"| {folder} | {found.path.name} | {found.layout or 'not recognised'} | {found.rows_loaded} | "
        f"{found.rows_quarantined} | {found.message} |"
        for found in files
    )
    header = "| folder | file | layout | rows loaded | rows quarantined | message |\n|---|---|---|---|---|---|\n"
    return {RETURN_FILES_KEY: dg.MetadataValue.md(header + table if files else f"no files in raw/{folder}/")}


def files_sentence(files: dict) -> str:
    """'60 seen, 58 loaded, ... rejected[, 1 held back, 1 current again]; rows: ...'."""
    extra = "".join(
        f", {files.get(key)} {label}"
        for key, label in (
            ("files_held", "held back"),
            ("files_restored", "current again"),
            ("files_ignored", "ignored"),
        )
        if files.get(key)
    )
    return (
        f"{files['files_seen']} seen, {files['files_loaded']} loaded, {files['files_unchanged']} unchanged, "
        f"{files['files_rejected']} rejected{extra}; rows: {files['rows_loaded']} loaded, "
        f"{files['rows_quarantined']} quarantined."
    )


def _plain(text: object) -> str:
    return _ANSI.sub("", str(text)).strip()


def _value(metadata_value: object) -> object:
    """A metadata entry's plain value (MetadataValue objects carry it in .value)."""
    return getattr(metadata_value, "value", metadata_value)


def _asset_name(asset_key: object) -> str:
    to_string = getattr(asset_key, "to_user_string", None)
    return to_string() if to_string else str(asset_key)


def error_text(error: object) -> str:
    """The error and its causes, outermost first (Dagster wraps the real reason one level
    down), as in `sendkpi materialise`; terminal colour codes removed."""
    parts = []
    while error is not None:
        parts.append(_plain(getattr(error, "message", error)))
        error = getattr(error, "cause", None)
    return " <- ".join(part for part in parts if part)


def _parse_files_table(markdown: str) -> list[dict]:
    """The ingest asset's per-file table (pipelines/run_report.extract_outcomes_metadata)."""
    files = []
    for line in markdown.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 6 or cells[0] in ("extract", "---") or set(cells[0]) <= {"-", ":"}:
            continue
        extract, name, status, rows_loaded, rows_quarantined = cells[:5]
        files.append(
            {
                "extract": extract,
                "file": name,
                "status": status,
                "rows_loaded": int(rows_loaded) if rows_loaded.isdigit() else 0,
                "rows_quarantined": int(rows_quarantined) if rows_quarantined.isdigit() else 0,
                "message": "|".join(cells[5:]).strip(),
            }
        )
    return files


def _dfe_problems(dfe: dict | None) -> list[str]:
    """What the DfE files lacked: files set aside, the chosen neighbour model missing."""
    problems = []
    if dfe and dfe["set_aside"]:
        problems.append(f"{dfe['set_aside']} DfE file(s) set aside: their families lack those figures (see DfE files)")
    if dfe and dfe["model_missing"]:
        problems.append(dfe["model_missing"])
    return problems


def published_in(events: list) -> bool:
    """Whether the run made its published set current."""
    return any(
        event.event_type_value == ASSET_MATERIALIZATION
        and event.event_specific_data.materialization.asset_key.to_user_string() == PUBLISHED_SET_ASSET
        for event in events
    )


def summarise_run(events: list, published: bool) -> dict:
    """What a run did, from its events alone. Pure: no files, no warehouse."""
    steps: dict[str, str] = {}
    failed_steps: list[dict] = []
    run_failure: str | None = None
    materialisations: dict[str, dict] = {}
    checks: dict[tuple[str, str], dict] = {}
    for event in events:
        kind = getattr(event, "event_type_value", None)
        data = getattr(event, "event_specific_data", None)
        step = getattr(event, "step_key", None)
        if kind == STEP_START and step:
            steps.setdefault(step, "started")
        elif kind == STEP_SUCCESS and step:
            steps[step] = "succeeded"
        elif kind == STEP_SKIPPED and step:
            steps[step] = "skipped"
        elif kind == STEP_FAILURE:
            steps[step or "?"] = "failed"
            error = getattr(data, "error", None)
            failed_steps.append(
                {
                    "step": step,
                    "error": error_text(error) if error is not None else _plain(getattr(event, "message", "") or ""),
                }
            )
        elif kind == RUN_FAILURE:
            error = getattr(data, "error", None)
            run_failure = error_text(error) if error is not None else _plain(getattr(event, "message", "") or "")
        elif kind == ASSET_MATERIALIZATION:
            materialisation = data.materialization
            # An asset can be reported more than once in a run; the last report stands.
            materialisations[_asset_name(materialisation.asset_key)] = {
                key: _value(value) for key, value in (materialisation.metadata or {}).items()
            }
        elif kind == ASSET_CHECK_EVALUATION:
            asset = _asset_name(data.asset_key)
            metadata = {key: _value(value) for key, value in (data.metadata or {}).items()}
            checks[(asset, data.check_name)] = {
                "check": data.check_name,
                "asset": asset,
                "passed": bool(data.passed),
                "description": getattr(data, "description", None),
                "details": {key: value for key, value in metadata.items() if key not in _CHECK_NOISE},
            }

    ingest = materialisations.get(LOAD_LOG_ASSET)
    files = None
    if ingest is not None:
        files = {key: ingest.get(key) for key in FILE_COUNTS}
        files["table"] = str(ingest.get("files", "") or "")
        files["files"] = _parse_files_table(files["table"])

    # Each returns folder's table is reported by every table of the folder: keep one of each.
    returns = sorted(
        {str(metadata[RETURN_FILES_KEY]) for metadata in materialisations.values() if RETURN_FILES_KEY in metadata}
    )

    # Each loading step records why its rows were quarantined; none of them ran: not recorded.
    recorded = [
        metadata[QUARANTINE_REASONS_KEY] for metadata in materialisations.values() if QUARANTINE_REASONS_KEY in metadata
    ]
    quarantine = sorted(
        (reason for reasons in recorded for reason in reasons),
        key=lambda reason: (reason["extract"], reason["file"], -reason["rows"], reason["rule"]),
    )

    publish = materialisations.get(PUBLISH_ASSET)
    publish_summary = None
    if publish is not None:
        publish_summary = {
            "marts_dir": publish.get("marts_dir"),
            "warehouse": publish.get("warehouse"),
            "rows": {key.removeprefix("rows."): value for key, value in publish.items() if key.startswith("rows.")},
        }

    dfe = materialisations.get(DFE_FILES_ASSET)
    dfe_summary = None
    if dfe is not None:
        dfe_summary = {
            "recognised": dfe.get("files_recognised"),
            "set_aside": int(dfe.get("files_set_aside") or 0),
            "neighbour_models": dfe.get("neighbour_models"),
            "not_loaded": str(dfe.get("files_not_loaded", "") or ""),
            "model_missing": str(dfe.get("neighbour_model_missing", "") or ""),
        }

    check_list = list(checks.values())
    failed_checks = [check for check in check_list if not check["passed"]]
    reasons = [f"step {failure['step']} failed: {failure['error']}" for failure in failed_steps]
    reasons += [f"check {check['check']} on {check['asset']} failed" for check in failed_checks]
    if run_failure and not failed_steps:
        reasons.append(f"the run failed: {run_failure}")
    if not published and not reasons:
        reasons.append("the run did not reach the publish step")
    return {
        "published": bool(published),
        "outcome": "published" if published else "not published",
        "reasons": reasons if not published else [],
        "problems": (reasons + _dfe_problems(dfe_summary)) if published else [],
        "failed_steps": failed_steps,
        "run_failure": run_failure,
        "steps": steps,
        "files": files,
        "returns": returns,
        "quarantine": quarantine,
        "quarantine_recorded": bool(recorded),
        "checks": {
            "run": len(check_list),
            "passed": len(check_list) - len(failed_checks),
            "failed": len(failed_checks),
            "failed_checks": failed_checks,
            "passed_checks": [check["check"] for check in check_list if check["passed"]],
        },
        "publish": publish_summary,
        "dfe": dfe_summary,
    }


def extract_quarantine_reasons(connection: duckdb.DuckDBPyConnection, loads: list[tuple[str, str]]) -> list[dict]:
    """Why rows were quarantined in the extract files a step has just loaded or held back:
    `loads` are their (extract, file name) pairs, each the latest stored load of that name."""
    if not loads:
        return []
    failures = """
        with wanted as (
            select unnest(?::varchar[]) as extract, unnest(?::varchar[]) as file_name
        ),
        loads as (
            select load_log.extract, load_log.file_name, load_log.load_id,
                   row_number() over (
                       partition by load_log.extract, load_log.file_name order by load_log.loaded_at desc
                   ) as newest
            from raw.load_log
            inner join wanted using (extract, file_name)
            where load_log.status in ('current', 'superseded', 'held')
        )
        select loads.extract, loads.file_name, quarantine.column_name, quarantine.check_name,
               quarantine.source_row_number
        from raw.quarantine as quarantine
        inner join loads on loads.load_id = quarantine.load_id and loads.newest = 1
    """
    return _reasons(connection, failures, [[extract for extract, _ in loads], [name for _, name in loads]])


def returns_quarantine_reasons(connection: duckdb.DuckDBPyConnection, tables: list[str]) -> list[dict]:
    """Why rows were quarantined in a returns folder (DSG, NEET, school census) a step has just
    reloaded whole: every quarantine row of its tables is from the files it read."""
    failures = """
        select extract, regexp_extract(file_path, '[^/]*$') as file_name, column_name, check_name, source_row_number
        from raw.quarantine where list_contains(?::varchar[], extract)
    """
    return _reasons(connection, failures, [tables])


def _reasons(connection: duckdb.DuckDBPyConnection, failures: str, parameters: list) -> list[dict]:
    """The quarantine rows `failures` selects, one dict per file, column and rule (rows, first
    row numbers; the header is row 1); original values are not copied.

    Read by the loading step on its own connection and kept in the run's events
    (QUARANTINE_REASONS_KEY): the report is written from the events alone, never by opening
    the build warehouse, which the next run may be writing (DuckDB allows one writer process
    or many readers, never both)."""
    rows = connection.execute(
        f"""
        select extract, file_name, column_name, check_name,
               count(distinct source_row_number) as rows,
               list(distinct source_row_number order by source_row_number)[1:{MAX_ROW_NUMBERS_SHOWN}] as first_rows
        from ({failures}) as failures
        group by all
        order by extract, file_name, rows desc, check_name
        """,
        parameters,
    ).fetchall()
    return [
        {
            "extract": extract,
            "file": file_name,
            "column": column,
            "rule": rule,
            "rows": count,
            "first_rows": list(first_rows),
        }
        for extract, file_name, column, rule, count, first_rows in rows
    ]


def quarantine_reasons_metadata(reasons: list[dict]) -> dict[str, object]:
    return {QUARANTINE_REASONS_KEY: dg.MetadataValue.json(reasons)}


def _first_line(text: str, limit: int = 300) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _fenced(text: str) -> list[str]:
    return ["````text", text, "````"]


def outcome_problems(summary: dict) -> list[str]:
    """What went wrong in a run, one line each: failed steps and checks, the run's own
    failure, DfE files that could not be used. Empty for a clean run."""
    problems = [f"step `{failure['step']}` failed (the error is below)" for failure in summary["failed_steps"]]
    problems += [
        f"check `{check['check']}` on `{check['asset']}` failed" for check in summary["checks"]["failed_checks"]
    ]
    if summary["run_failure"] and not summary["failed_steps"]:
        problems.append(f"the run failed: {_first_line(summary['run_failure'])}")
    return problems + _dfe_problems(summary.get("dfe"))


def render_run_report(summary: dict, run_id: str, written_at: datetime, settings: Settings) -> str:
    lines = [
        f"# Run report {run_id[:8]}",
        "",
        f"- Run: `{run_id}`",
        f"- Written: {written_at.strftime('%Y-%m-%d %H:%M:%S')} UTC",
        f"- Home authority: {settings.home_la}; data folder: `{settings.data_dir}`",
        "",
        "## Outcome",
        "",
    ]
    bullets = outcome_problems(summary)
    dfe = summary.get("dfe")
    if summary["published"]:
        lines.append("**Published.** The marts were refreshed.")
        if bullets:
            lines += ["", "But the run reported problems:", *(f"- {bullet}" for bullet in bullets)]
    else:
        lines.append("**Nothing was published**: the last published marts are unchanged.")
        lines += ["", "Why:", *(f"- {bullet}" for bullet in bullets or ["the run did not reach the publish step"])]
    for failure in summary["failed_steps"]:
        lines += ["", f"Step `{failure['step']}`:", "", *_fenced(failure["error"])]
    if summary["run_failure"] and not summary["failed_steps"]:
        lines += ["", "The run:", "", *_fenced(summary["run_failure"])]

    lines += ["", "## Files", ""]
    files = summary["files"]
    if files is None:
        lines.append("The extracts were not loaded: the ingest step did not finish.")
    else:
        lines.append(files_sentence(files))
        if files["table"]:
            lines += ["", files["table"]]

    lines += ["", "## DfE files", ""]
    if dfe is None:
        lines.append("Not loaded in this run.")
    else:
        lines.append(
            f"{dfe['recognised']} recognised; {dfe['set_aside']} set aside; neighbour models: "
            f"{dfe['neighbour_models'] or 'none'}. Every file and why: `marts.dfe_file_status`."
        )
        if dfe["not_loaded"] and dfe["not_loaded"] != "none":
            lines += ["", "Not loaded:", "", dfe["not_loaded"]]

    lines += ["", "## Returns (DSG, NEET, school census)", ""]
    if summary["returns"]:
        lines.append("Each folder is read whole every run; a file not recognised is not loaded.")
        for table in summary["returns"]:
            lines += ["", table]
    else:
        lines.append("Not loaded in this run.")

    lines += ["", "## Rows quarantined", ""]
    quarantine = summary["quarantine"]
    if files is None and not quarantine:
        lines.append("None: no extract was loaded.")
    elif files is not None and files["rows_quarantined"] and not summary["quarantine_recorded"]:
        lines.append(
            f"{files['rows_quarantined']} rows were quarantined; the run did not record why: "
            "`raw.quarantine` in the build warehouse lists them."
        )
    elif not quarantine:
        lines.append("No rows were quarantined in this run.")
    else:
        lines += [
            "Kept out of the KPIs; the rows are listed in `raw.quarantine` and, for the extracts, "
            "`marts.extract_load_summary` (row numbers count the header as row 1). The returns folders' "
            "rows (DSG, NEET, school census) are those of the files read in this run.",
            "",
            "| extract | file | column | rule | rows | first rows |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {q['extract']} | {q['file']} | {q['column'] or ''} | {q['rule']} | {q['rows']} | "
            f"{', '.join(str(n) for n in q['first_rows'])} |"
            for q in quarantine
        ]

    checks = summary["checks"]
    lines += ["", "## Checks", "", f"{checks['run']} run: {checks['passed']} passed, {checks['failed']} failed."]
    if checks["failed_checks"]:
        lines += ["", "| check | asset | details |", "|---|---|---|"]
        for check in checks["failed_checks"]:
            details = "; ".join(f"{key}: {value}" for key, value in check["details"].items() if "\n" not in str(value))
            lines.append(f"| {check['check']} | {check['asset']} | {details or check['description'] or ''} |")
        for check in checks["failed_checks"]:
            for key, value in check["details"].items():
                if "\n" in str(value):
                    lines += ["", f"{check['check']}, {key}:", "", str(value)]
    if checks["passed_checks"]:
        lines += [
            "",
            "<details><summary>Passed checks</summary>",
            "",
            ", ".join(checks["passed_checks"]),
            "",
            "</details>",
        ]

    lines += ["", "## Published", ""]
    publish = summary["publish"]
    if publish is None:
        lines.append("No details: the publish step reported nothing." if summary["published"] else "Nothing.")
    else:
        lines += [
            f"- Marts: `{publish['marts_dir']}`",
            f"- Warehouse: `{publish['warehouse']}`",
        ]
        if publish["rows"]:
            lines += ["", "| table | rows |", "|---|---|"]
            lines += [f"| {table} | {rows} |" for table, rows in publish["rows"].items()]
    return "\n".join(lines) + "\n"


def _free_name(folder: Path, stem: str) -> Path:
    """<stem>.md, or <stem>_2.md, <stem>_3.md ... when a report of that name exists."""
    candidate = folder / f"{stem}.md"
    number = 2
    while candidate.exists():
        candidate = folder / f"{stem}_{number}.md"
        number += 1
    return candidate


def write_run_report(settings: Settings, run_id: str, events: list, published: bool) -> Path:
    """Write data/run_reports/<UTC timestamp>_<run id[:8]>.md for this run; return its path."""
    written_at = datetime.now(UTC)
    summary = summarise_run(events, published)
    text = render_run_report(summary, run_id, written_at, settings)
    folder = settings.run_reports_dir
    folder.mkdir(parents=True, exist_ok=True)
    final = _free_name(folder, f"{written_at.strftime(_TIMESTAMP_FORMAT)}_{run_id[:8]}")
    staged = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    try:
        staged.write_text(text, encoding="utf-8")
        os.replace(staged, final)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return final


def latest_report_path(settings: Settings) -> Path | None:
    """The most recent run report, or None when there is none yet."""
    folder = settings.run_reports_dir
    if not folder.is_dir():
        return None
    reports = [path for path in folder.glob("*.md") if not path.name.startswith(".")]
    if not reports:
        return None
    # The name starts with the UTC timestamp; the modification time orders reports of one second.
    return max(reports, key=lambda path: (path.name[:16], path.stat().st_mtime_ns, path.name))
