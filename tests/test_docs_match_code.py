"""The README and docs/ name only things that exist: settings a user can set, KPIs the
catalogue holds, make targets the Makefile has, files the repository has."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def _documented(pattern: str) -> dict[str, list[str]]:
    """Every match of `pattern` in the docs, with the documents that mention it."""
    found: dict[str, list[str]] = {}
    for path in DOCS:
        for match in set(re.findall(pattern, path.read_text(encoding="utf-8"))):
            found.setdefault(match, []).append(path.name)
    return found


def _variables_the_code_reads() -> set[str]:
    from pipelines import settings

    names = {f"SENDKPI_{key.upper()}" for key in settings._DEFAULTS}
    for path in [*(REPO / "pipelines").rglob("*.py"), REPO / "dbt_project" / "profiles.yml", REPO / "Makefile"]:
        names.update(re.findall(r"SENDKPI_[A-Z0-9_]+", path.read_text(encoding="utf-8")))
    return names


def test_every_documented_variable_is_one_the_code_reads():
    documented = _documented(r"SENDKPI_[A-Z0-9_]*[A-Z0-9]")
    unknown = {name: where for name, where in documented.items() if name not in _variables_the_code_reads()}
    assert not unknown, f"documented but read nowhere: {unknown}"


def test_every_documented_kpi_is_in_the_catalogue():
    with (REPO / "dbt_project" / "seeds" / "kpi_definitions.csv").open(encoding="utf-8") as handle:
        catalogue = {row["kpi_id"] for row in csv.DictReader(handle)}
    # KPI ids are written in backticks in the first column of the KPI tables of docs/kpis.md.
    table_ids = re.findall(r"^\| `([a-z0-9_]+)` \|", (REPO / "docs" / "kpis.md").read_text(encoding="utf-8"), re.M)
    assert table_ids, "docs/kpis.md lists no KPI"
    assert set(table_ids) <= catalogue, sorted(set(table_ids) - catalogue)


def test_every_documented_make_target_exists():
    targets = set(re.findall(r"^([a-z][a-z0-9-]*):", (REPO / "Makefile").read_text(encoding="utf-8"), re.M))
    documented = _documented(r"`make ([a-z][a-z0-9-]*)")
    unknown = {target: where for target, where in documented.items() if target not in targets}
    assert not unknown, f"make targets documented but missing from the Makefile: {unknown}"


@pytest.mark.parametrize("document", DOCS, ids=lambda path: path.name)
def test_every_repository_path_a_document_names_exists(document: Path):
    text = document.read_text(encoding="utf-8")
    named = set(
        re.findall(
            r"`((?:pipelines|schemas|dbt_project|tests|benchmarks|deploy|docs)/[A-Za-z0-9_./-]+\.(?:py|sql|yml|md|csv|toml))`",
            text,
        )
    )
    missing = sorted(path for path in named if not (REPO / path).exists())
    assert not missing, f"{document.name} names files that do not exist: {missing}"
