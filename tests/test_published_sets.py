"""Published sets (pipelines/releases.py): a complete set per run, one switch, rollback.

The fast tests build small sets by hand; the last ones publish the demo ten times through the
real Dagster publishing steps while a reader reads, and roll back."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pipelines import releases
from pipelines.settings import Settings
from synthetic_sample import SAMPLE_COMPARATOR_GROUPS
from tests.conftest import PipelineRun, environment, sample_settings


def _publish_by_hand(settings: Settings, run_id: str, marker: str) -> str:
    """A set whose every file says which run wrote it."""
    building = releases.begin(settings, run_id)
    (building.marts_dir / "kpi_comparison.parquet").write_text(f"marts of {marker}")
    building.warehouse_path.write_text(f"warehouse of {marker}")
    (building.published_dir / "scorecard.html").write_text(f"page of {marker}")
    return releases.complete(settings, run_id)


def _documented_bytes(data_dir: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(data_dir)): path.read_bytes()
        for folder in ("marts", "published")
        for path in sorted((data_dir / folder).iterdir())
    } | {name: (data_dir / name).read_bytes() for name in ("warehouse.duckdb", "manifest.json")}


def test_a_completed_set_is_current_through_the_documented_paths(tmp_path: Path):
    settings = sample_settings(tmp_path)
    name = _publish_by_hand(settings, "run-aaaaaaaa-1", "first")
    assert (tmp_path / "marts" / "kpi_comparison.parquet").read_text() == "marts of first"
    assert (tmp_path / "warehouse.duckdb").read_text() == "warehouse of first"
    assert (tmp_path / "published" / "scorecard.html").read_text() == "page of first"
    assert os.readlink(tmp_path / "current") == f"releases/{name}"
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["run_id"] == "run-aaaaaaaa-1" and manifest["set"] == name
    assert manifest["files"]["marts/kpi_comparison.parquet"] == {
        "sha256": hashlib.sha256(b"marts of first").hexdigest(),
        "bytes": len("marts of first"),
    }
    assert sorted(manifest["files"]) == ["marts/kpi_comparison.parquet", "published/scorecard.html", "warehouse.duckdb"]
    # Nothing of the build is left beside the sets.
    assert releases.set_names(settings) == [name]
    assert [path.name for path in (tmp_path / "releases").iterdir() if path.name.startswith(".building")] == []


def test_the_newest_sets_are_kept_and_rollback_goes_back_one_at_a_time(tmp_path: Path):
    settings = sample_settings(tmp_path, published_sets_kept=3)
    names = [_publish_by_hand(settings, f"run-{number:08d}", f"run {number}") for number in range(5)]
    assert names == sorted(names)  # named by when they were published
    assert releases.set_names(settings) == names[-3:]
    assert releases.rollback(settings) == names[3]
    assert (tmp_path / "marts" / "kpi_comparison.parquet").read_text() == "marts of run 3"
    assert releases.rollback(settings) == names[2]
    with pytest.raises(releases.PublishError, match="no published set before"):
        releases.rollback(settings)
    # Forward again by name; an unknown or pruned name is refused and changes nothing.
    assert releases.rollback(settings, names[4]) == names[4]
    with pytest.raises(releases.PublishError, match="no published set 'nonsense'"):
        releases.rollback(settings, "nonsense")
    with pytest.raises(releases.PublishError):
        releases.rollback(settings, names[0])
    assert releases.current_name(settings) == names[4]


def test_a_rolled_back_current_set_is_kept_however_old(tmp_path: Path):
    settings = sample_settings(tmp_path, published_sets_kept=2)
    first, second = (_publish_by_hand(settings, f"run-{n:08d}", str(n)) for n in range(2))
    releases.rollback(settings, first)
    third = _publish_by_hand(settings, "run-00000002", "2")
    assert releases.current_name(settings) == third
    assert releases.set_names(settings) == [second, third]
    releases.rollback(settings)
    assert releases.current_name(settings) == second


def test_the_layout_before_published_sets_becomes_links(tmp_path: Path):
    """A data folder published by an earlier version holds real folders and files."""
    settings = sample_settings(tmp_path)
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "kpi_comparison.parquet").write_text("old layout")
    (tmp_path / "published").mkdir()
    (tmp_path / "published" / "scorecard.html").write_text("old page")
    (tmp_path / "warehouse.duckdb").write_text("old warehouse")
    _publish_by_hand(settings, "run-bbbbbbbb", "new")
    for name in ("marts", "published", "warehouse.duckdb", "manifest.json"):
        assert os.readlink(tmp_path / name) == f"current/{name}"
    assert (tmp_path / "marts" / "kpi_comparison.parquet").read_text() == "marts of new"
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")]


def test_an_unfinished_set_is_never_current_and_the_next_run_clears_it(tmp_path: Path):
    settings = sample_settings(tmp_path)
    first = _publish_by_hand(settings, "run-cccccccc", "good")
    before = _documented_bytes(tmp_path)
    building = releases.begin(settings, "run-dddddddd")  # a run that fails before its switch
    (building.marts_dir / "kpi_comparison.parquet").write_text("half")
    assert _documented_bytes(tmp_path) == before
    assert releases.set_names(settings) == [first]
    with pytest.raises(releases.PublishError, match="did not publish its marts"):
        releases.being_built(settings, "run-eeeeeeee")
    releases.begin(settings, "run-ffffffff")
    assert not (tmp_path / "releases" / ".building-run-dddddddd").exists()


def test_a_set_built_from_the_current_one_leaves_it_byte_for_byte(tmp_path: Path):
    settings = sample_settings(tmp_path)
    first = _publish_by_hand(settings, "run-12345678", "data")
    before = _documented_bytes(tmp_path)
    building, run_id = releases.new_set_from_current(settings)
    assert run_id == "run-12345678"
    staged = building.published_dir / ".scorecard.html.tmp"
    staged.write_text("redrawn page")
    os.replace(staged, building.published_dir / "scorecard.html")
    second = releases.complete(settings, run_id, note="redrawn")
    assert (tmp_path / "published" / "scorecard.html").read_text() == "redrawn page"
    assert (tmp_path / "marts" / "kpi_comparison.parquet").read_text() == "marts of data"
    assert releases.read_manifest(settings, second)["note"] == "redrawn"
    releases.rollback(settings, first)
    assert _documented_bytes(tmp_path) == before


def test_published_sets_kept_is_a_setting(tmp_path: Path):
    from pipelines.settings import SettingsError, load_settings

    with environment(SENDKPI_PUBLISHED_SETS_KEPT="2"):
        assert load_settings(tmp_path / "none.toml").published_sets_kept == 2
    with environment(SENDKPI_PUBLISHED_SETS_KEPT="0"), pytest.raises(SettingsError, match="published_sets_kept"):
        load_settings(tmp_path / "none.toml")


# --- the real publishing steps, on a copy of the demo ----------------------------------------


def _publish_again(data_dir: Path) -> str:
    """The four publishing steps of refresh_all as one Dagster run over the built warehouse."""
    import dagster as dg

    from pipelines.assets.publish import open_data_export, published_marts, published_set, scrutiny_pack
    from pipelines.resources import build_resources

    with environment(
        SENDKPI_DATA_DIR=str(data_dir),
        SENDKPI_BENCHMARKS_DIR=str(data_dir / "sample_benchmarks"),
        SENDKPI_HOME_LA="990",
        SENDKPI_COMPARATOR_GROUPS=SAMPLE_COMPARATOR_GROUPS,
        SENDKPI_PUBLISHED_SETS_KEPT="20",
    ):
        result = dg.materialize(
            [published_marts, open_data_export, scrutiny_pack, published_set],
            resources=build_resources(),
            instance=dg.DagsterInstance.ephemeral(),
        )
    assert result.success
    return result.run_id


def _read_one_set(data_dir: Path) -> tuple[str, str]:
    """A reader as docs/operations.md tells it: resolve data/current once, read under it, and
    check every file against the set's manifest. Returns (run id, set)."""
    root = Path(os.path.realpath(data_dir / "current"))
    manifest = json.loads((root / "manifest.json").read_text())
    for relative, expected in manifest["files"].items():
        digest = hashlib.sha256((root / relative).read_bytes()).hexdigest()
        assert digest == expected["sha256"], f"{relative} of set {root.name} is not the file its manifest lists"
    return manifest["run_id"], root.name


def test_ten_publishes_while_a_reader_reads_then_rollback_byte_for_byte(demo_copy: PipelineRun):
    data_dir = demo_copy.data_dir
    settings = sample_settings(data_dir, published_sets_kept=20)
    seen: set[tuple[str, str]] = set()
    documented_files: list[tuple[str, bytes]] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            try:
                seen.add(_read_one_set(data_dir))
                # Each documented path on its own always opens a whole file of some set.
                documented_files.append(("marts", (data_dir / "marts" / "kpi_comparison.parquet").read_bytes()))
            except BaseException as error:  # any failure of a reader is what we test for
                errors.append(error)

    thread = threading.Thread(target=reader)
    thread.start()
    run_ids = []
    before_last: dict[str, bytes] = {}
    try:
        for number in range(10):
            if number == 9:
                before_last = _documented_bytes(data_dir)
            run_ids.append(_publish_again(data_dir))
    finally:
        done.set()
        thread.join()
    assert errors == []
    names = releases.set_names(settings)
    assert len(names) == 11  # the demo's own set and ten more
    by_run = {releases.read_manifest(settings, name)["run_id"]: name for name in names}
    assert set(run_ids) <= set(by_run)
    # Every set the reader saw was one run's complete set, and it saw several.
    assert all(by_run.get(run_id) == name for run_id, name in seen)
    assert len(seen) >= 3
    marts_checksums = {
        releases.read_manifest(settings, name)["files"]["marts/kpi_comparison.parquet"]["sha256"] for name in names
    }
    assert {hashlib.sha256(content).hexdigest() for _, content in documented_files} <= marts_checksums
    # The manifest names what the marts came from.
    manifest = releases.read_manifest(settings, names[-1])
    assert manifest["run_id"] == run_ids[-1]
    assert {row["extract"] for row in manifest["inputs"]["extract_files"]} >= {"ehc_requests", "exclusions"}
    assert all(len(row["file_sha256"]) == 64 for row in manifest["inputs"]["extract_files"])
    assert manifest["inputs"]["dfe_files"]

    rolled_back_to = releases.rollback(settings)
    assert rolled_back_to == names[-2]
    assert _documented_bytes(data_dir) == before_last


def test_the_command_line_lists_rolls_back_and_redraws_as_a_new_set(demo_copy: PipelineRun):
    data_dir = demo_copy.data_dir
    environment_variables = {
        **{name: value for name, value in os.environ.items() if not name.startswith("SENDKPI_")},
        "SENDKPI_DATA_DIR": str(data_dir),
        "SENDKPI_BENCHMARKS_DIR": str(data_dir / "sample_benchmarks"),
        "SENDKPI_HOME_LA": "990",
        "SENDKPI_COMPARATOR_GROUPS": SAMPLE_COMPARATOR_GROUPS,
    }

    def sendkpi(*arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pipelines.cli", *arguments],
            env=environment_variables,
            capture_output=True,
            text=True,
            timeout=300,
        )

    settings = sample_settings(data_dir)
    [demo_set] = releases.set_names(settings)
    demo_bytes = _documented_bytes(data_dir)
    demo_run_id = releases.read_manifest(settings, demo_set)["run_id"]

    redrawn = sendkpi("report")
    assert redrawn.returncode == 0, redrawn.stderr
    new_set = releases.current_name(settings)
    assert new_set != demo_set and new_set in redrawn.stdout
    manifest = releases.read_manifest(settings, new_set)
    assert manifest["run_id"] == demo_run_id and "sendkpi report" in manifest["note"]
    assert (data_dir / "marts" / "kpi_comparison.parquet").read_bytes() == demo_bytes["marts/kpi_comparison.parquet"]

    listed = sendkpi("published", "list")
    assert listed.returncode == 0, listed.stderr
    lines = [line for line in listed.stdout.splitlines() if demo_set in line or new_set in line]
    assert len(lines) == 2 and lines[1].startswith(f"* {new_set}") and demo_run_id in lines[0]

    back = sendkpi("published", "rollback")
    assert back.returncode == 0, back.stderr
    assert demo_set in back.stdout
    assert _documented_bytes(data_dir) == demo_bytes
    refused = sendkpi("published", "rollback", "no-such-set")
    assert refused.returncode == 1 and "no published set 'no-such-set'" in refused.stderr
