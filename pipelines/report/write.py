"""Write the scrutiny pack into a published set, beside its open data."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from pipelines.releases import PublishedSet
from pipelines.report.content import read_content
from pipelines.report.html import render_scorecard
from pipelines.report.workbook import build_workbook
from pipelines.settings import Settings

SCORECARD_NAME = "scorecard.html"
WORKBOOK_NAME = "send_kpis.xlsx"


def pack_paths(published: PublishedSet) -> tuple[Path, Path]:
    return published.published_dir / SCORECARD_NAME, published.published_dir / WORKBOOK_NAME


def write_scrutiny_pack(settings: Settings, run_id: str, into: PublishedSet) -> list[Path]:
    """scorecard.html and send_kpis.xlsx from the set's own files (the open-data CSV and the
    marts); written under temporary names and renamed over any earlier ones."""
    content = read_content(settings, run_id, into)
    written_at = datetime.now(UTC)
    scorecard, workbook_path = pack_paths(into)
    scorecard.parent.mkdir(parents=True, exist_ok=True)
    staged_html = scorecard.with_name(f".{scorecard.name}.{os.getpid()}.tmp")
    staged_xlsx = workbook_path.with_name(f".{workbook_path.name}.{os.getpid()}.tmp")
    try:
        staged_html.write_text(render_scorecard(content, written_at), encoding="utf-8")
        build_workbook(content, settings, written_at).save(staged_xlsx)
    except BaseException:
        staged_html.unlink(missing_ok=True)
        staged_xlsx.unlink(missing_ok=True)
        raise
    os.replace(staged_html, scorecard)
    os.replace(staged_xlsx, workbook_path)
    return [scorecard, workbook_path]
