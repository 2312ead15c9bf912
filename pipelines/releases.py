"""Published sets: each successful run publishes a complete set, and one switch makes it current.

A set is a folder data/releases/<set>/ holding one run's marts/*.parquet, warehouse.duckdb
(marts and reference tables only), published/ (the public export, the scorecard and the
workbook) and manifest.json (the run, when, the input files the marts came from and a
checksum of every file in the set). The run builds its set in data/releases/.building-<run>/;
when every publishing step has written its part, the folder is renamed to its set name and
data/current, a symbolic link, is replaced in one rename to point at it.

The documented paths (data/marts, data/warehouse.duckdb, data/published, data/manifest.json)
are fixed links through data/current, so every path always opens a file of a complete set. A
set is never changed once made current, so a reader that resolves data/current once (for
example `os.path.realpath("data/current")`) and reads under that folder reads one consistent
set, and `sendkpi published rollback` restores a set byte for byte. The newest
`published_sets_kept` sets are kept (and always the current one); older ones are removed when
a new set is published.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.settings import Settings

CURRENT_LINK = "current"
RELEASES_FOLDER = "releases"
BUILDING_PREFIX = ".building-"
MANIFEST_NAME = "manifest.json"
# What data/ shows through data/current: each a link that never changes.
DOCUMENTED_PATHS = ("marts", "warehouse.duckdb", "published", MANIFEST_NAME)


class PublishError(RuntimeError):
    """Publishing cannot go on; the message says why. The current set is unchanged."""


@dataclass(frozen=True)
class PublishedSet:
    """The layout of one set; for data/ itself, the documented paths through data/current."""

    root: Path

    @property
    def marts_dir(self) -> Path:
        return self.root / "marts"

    @property
    def warehouse_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def published_dir(self) -> Path:
        return self.root / "published"

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST_NAME


def documented(settings: Settings) -> PublishedSet:
    """What users read: data/marts, data/warehouse.duckdb, data/published (the current set)."""
    return PublishedSet(settings.data_dir)


def releases_dir(settings: Settings) -> Path:
    return settings.data_dir / RELEASES_FOLDER


def _building(settings: Settings, run_id: str) -> PublishedSet:
    return PublishedSet(releases_dir(settings) / f"{BUILDING_PREFIX}{run_id}")


def begin(settings: Settings, run_id: str) -> PublishedSet:
    """An empty set for this run to write into. Only one run writes at a time, so another run's
    unfinished set is a leftover of a failed or killed run and is removed."""
    folder = releases_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob(f"{BUILDING_PREFIX}*"):
        shutil.rmtree(leftover)
    for leftover in settings.data_dir.glob(".*.tmp"):  # a link being switched when a run was killed
        leftover.unlink(missing_ok=True)
    building = _building(settings, run_id)
    building.marts_dir.mkdir(parents=True)
    building.published_dir.mkdir()
    return building


def being_built(settings: Settings, run_id: str) -> PublishedSet:
    """The set this run started with `begin` (by the published/marts step)."""
    building = _building(settings, run_id)
    if not building.root.is_dir():
        raise PublishError(
            f"{building.root} does not exist: this run did not publish its marts (published/marts), "
            "so it has no set to add to"
        )
    return building


def set_names(settings: Settings) -> list[str]:
    """The kept sets, oldest first (a set's name starts with when it was published, in UTC)."""
    folder = releases_dir(settings)
    if not folder.is_dir():
        return []
    return sorted(path.name for path in folder.iterdir() if path.is_dir() and not path.name.startswith("."))


def current_name(settings: Settings) -> str | None:
    link = settings.data_dir / CURRENT_LINK
    return Path(os.readlink(link)).name if link.is_symlink() else None


def read_manifest(settings: Settings, name: str) -> dict:
    return json.loads((releases_dir(settings) / name / MANIFEST_NAME).read_text(encoding="utf-8"))


def complete(settings: Settings, run_id: str, note: str = "") -> str:
    """Write the manifest of this run's set, make it current in one switch, drop the sets
    beyond `published_sets_kept`. Returns the set's name."""
    building = being_built(settings, run_id)
    published_at = datetime.now(UTC)
    name = f"{published_at:%Y%m%dT%H%M%S%fZ}_{run_id[:8]}"
    manifest = {
        "set": name,
        "run_id": run_id,
        "published_at": published_at.isoformat(timespec="seconds"),
        "note": note,
        "inputs": _inputs(building),
        "files": _checksums(building.root),
    }
    staged_manifest = building.root / f".{MANIFEST_NAME}.tmp"
    staged_manifest.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    os.replace(staged_manifest, building.manifest_path)
    with _switch_lock(settings):
        os.replace(building.root, releases_dir(settings) / name)
        _point_current_at(settings, name)
        _prune(settings)
    return name


def rollback(settings: Settings, to: str | None = None) -> str:
    """Make an earlier kept set current again (`to`, else the one before the current set)."""
    with _switch_lock(settings):
        names = set_names(settings)
        current = current_name(settings)
        if to is None:
            earlier = [name for name in names if current is None or name < current]
            if not earlier:
                raise PublishError(
                    f"there is no published set before {current} to roll back to "
                    f"(kept: {', '.join(names) or 'none'}; published_sets_kept = {settings.published_sets_kept})"
                )
            to = earlier[-1]
        elif to not in names:
            raise PublishError(f"there is no published set {to!r}: `sendkpi published list` shows the kept sets")
        _point_current_at(settings, to)
    return to


def new_set_from_current(settings: Settings) -> tuple[PublishedSet, str]:
    """A set to build from the current one, and the run its data came from (`sendkpi report`
    redraws the scrutiny pack into it). Its files are hard links to the current set's: a set's
    files are only ever replaced by a rename, never rewritten, so the current set is untouched."""
    current = current_name(settings)
    if current is None:
        raise PublishError(f"nothing is published in {settings.data_dir} yet: run `sendkpi materialise` first")
    run_id = read_manifest(settings, current)["run_id"]
    building = _building(settings, run_id)
    shutil.rmtree(building.root, ignore_errors=True)
    shutil.copytree(releases_dir(settings) / current, building.root, copy_function=_link_or_copy)
    building.manifest_path.unlink()
    return building, run_id


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@contextmanager
def _switch_lock(settings: Settings) -> Iterator[None]:
    """Publishing and a rollback switch data/current one at a time."""
    folder = releases_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".switch.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _replace_with_link(path: Path, target: Path) -> None:
    """Make `path` a symbolic link to `target` (relative, so a copied data folder keeps working)
    in one rename; a real file or folder there (the layout before published sets) goes."""
    if path.is_symlink() and Path(os.readlink(path)) == target:
        return
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    staged.unlink(missing_ok=True)
    os.symlink(target, staged)
    if path.is_dir() and not path.is_symlink():
        aside = path.with_name(f".{path.name}.{os.getpid()}.old")
        os.rename(path, aside)
        os.replace(staged, path)
        shutil.rmtree(aside)
    else:
        os.replace(staged, path)


def _point_current_at(settings: Settings, name: str) -> None:
    _replace_with_link(settings.data_dir / CURRENT_LINK, Path(RELEASES_FOLDER) / name)
    for documented_path in DOCUMENTED_PATHS:
        _replace_with_link(settings.data_dir / documented_path, Path(CURRENT_LINK) / documented_path)


def _prune(settings: Settings) -> list[str]:
    names = set_names(settings)
    keep = set(names[-settings.published_sets_kept :]) | {current_name(settings)}
    removed = [name for name in names if name not in keep]
    for name in removed:
        shutil.rmtree(releases_dir(settings) / name)
    return removed


def _checksums(root: Path) -> dict[str, dict[str, object]]:
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != MANIFEST_NAME and not path.name.startswith("."):
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            files[str(path.relative_to(root))] = {"sha256": digest.hexdigest(), "bytes": path.stat().st_size}
    return files


def _inputs(building: PublishedSet) -> dict[str, list[dict]]:
    """The files the marts came from, as the set's own marts list them: each extract's current
    load per period (with the file's checksum) and each DfE file read."""
    inputs: dict[str, list[dict]] = {}
    queries = {
        "extract_files": (
            "extract_load_summary",
            "select extract, source_period, file_name, file_sha256 from read_parquet(?) "
            "where status = 'current' order by extract, source_period",
        ),
        "dfe_files": (
            "dfe_file_status",
            "select file_name, release, status from read_parquet(?) order by file_name",
        ),
    }
    for key, (mart, query) in queries.items():
        path = building.marts_dir / f"{mart}.parquet"
        if path.is_file():
            frame = duckdb.execute(query, [str(path)]).df()
            inputs[key] = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return inputs
