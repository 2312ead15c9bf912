"""Has anything a refresh reads changed since the last published run?

A refresh reads the files under raw/ and the benchmarks folder, the settings and the code
(the pipeline, the contracts, the dbt project). Their fingerprint is taken when a run for
every quarter starts loading, and recorded as the published one when that run has published.
A nightly run (or `sendkpi materialise`) whose inputs match the published fingerprint has
nothing to do: it runs no load and no dbt model, and says so. `--full-refresh` rebuilds anyway.

Files are known by path, size and modification time (no reading: cheap at any scale); a file
touched without change makes a rebuild, which is the safe mistake.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

from pipelines.settings import PROJECT_ROOT, Settings

# What the code of a refresh is: a change to any of these rebuilds.
CODE_FOLDERS = (
    "pipelines",
    "schemas",
    "dbt_project/models",
    "dbt_project/macros",
    "dbt_project/seeds",
    "dbt_project/tests",
)
CODE_FILES = ("dbt_project/dbt_project.yml", "dbt_project/profiles.yml")
CANDIDATE_FOLDER = "run_inputs"
PUBLISHED_FILE = "published_inputs.json"


def _files(folder: Path) -> list[tuple[str, int, int]]:
    if not folder.is_dir():
        return []
    entries = []
    for root, folders, names in os.walk(folder):
        # Python's byte-code caches change on import, not with the code.
        folders[:] = [name for name in folders if name != "__pycache__"]
        for name in names:
            path = Path(root) / name
            try:
                status = path.stat()
            except OSError:  # a dangling link: its presence still counts
                entries.append((str(path.relative_to(folder)), -1, -1))
                continue
            entries.append((str(path.relative_to(folder)), status.st_size, status.st_mtime_ns))
    return sorted(entries)


def input_fingerprint(settings: Settings) -> str:
    """One hash of the inputs, settings (the key left out) and code a refresh reads."""
    visible_settings = dataclasses.replace(settings, pseudonymisation_key=None)
    described = {
        "raw": _files(settings.raw_dir),
        "benchmarks": _files(settings.benchmarks_dir),
        "settings": repr(visible_settings),
        "code": [_files(PROJECT_ROOT / folder) for folder in CODE_FOLDERS]
        + [(name, *_stat(PROJECT_ROOT / name)) for name in CODE_FILES],
    }
    return hashlib.sha256(json.dumps(described, default=str).encode("utf-8")).hexdigest()


def _stat(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


def record_candidate(settings: Settings, run_id: str) -> str:
    """The fingerprint of what this run is about to load (taken before loading)."""
    fingerprint = input_fingerprint(settings)
    folder = settings.build_dir / CANDIDATE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{run_id}.json").write_text(json.dumps({"run_id": run_id, "fingerprint": fingerprint}))
    return fingerprint


def record_published(settings: Settings, run_id: str) -> bool:
    """After the run published: its candidate becomes the published fingerprint (replaced in
    one step). False when the run took none (a one-quarter run: other quarters may differ)."""
    candidate = settings.build_dir / CANDIDATE_FOLDER / f"{run_id}.json"
    if not candidate.is_file():
        return False
    staged = settings.build_dir / f".{PUBLISHED_FILE}.{os.getpid()}.tmp"
    staged.write_text(candidate.read_text())
    os.replace(staged, settings.build_dir / PUBLISHED_FILE)
    candidate.unlink()
    return True


def unchanged_since_published(settings: Settings) -> str | None:
    """The run id of the last published run when nothing it read has changed since; else None."""
    published = settings.build_dir / PUBLISHED_FILE
    if not published.is_file() or not settings.warehouse_path.is_file():
        return None
    recorded = json.loads(published.read_text())
    return recorded["run_id"] if recorded["fingerprint"] == input_fingerprint(settings) else None


def forget_published(settings: Settings) -> None:
    """The warehouse changed outside a run (`sendkpi accept`): the next run rebuilds."""
    (settings.build_dir / PUBLISHED_FILE).unlink(missing_ok=True)
