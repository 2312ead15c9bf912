"""What a run did, in words an analyst reads without opening logs."""

from __future__ import annotations

from collections import Counter

import dagster as dg

from pipelines.ingest.extracts import FileOutcome


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
        "rows_loaded": sum(outcome.rows_loaded for outcome in outcomes),
        "rows_quarantined": sum(outcome.rows_quarantined for outcome in outcomes),
        "files": dg.MetadataValue.md(
            "| extract | file | status | rows loaded | rows quarantined | message |\n|---|---|---|---|---|---|\n" + table
        ),
    }


def summarise(outcomes: list[FileOutcome]) -> str:
    """One paragraph for the terminal: counts first, then every file that needs attention."""
    metadata = extract_outcomes_metadata(outcomes)
    lines = [
        f"Extract files: {metadata['files_seen']} seen, {metadata['files_loaded']} loaded, "
        f"{metadata['files_unchanged']} unchanged, {metadata['files_rejected']} rejected; "
        f"rows: {metadata['rows_loaded']} loaded, {metadata['rows_quarantined']} quarantined."
    ]
    lines.extend(f"  REJECTED {outcome.message}" for outcome in outcomes if outcome.status == "rejected")
    lines.extend(
        f"  {outcome.path.name}: {outcome.rows_quarantined} rows quarantined (see marts.extract_load_summary)"
        for outcome in outcomes
        if outcome.rows_quarantined
    )
    return "\n".join(lines)
