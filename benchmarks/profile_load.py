"""Where the load of the case extracts spends its time, phase by phase.

    .venv/bin/python benchmarks/profile_load.py --scale 100

Writes the synthetic sample, multiplies every case extract's rows by --scale (as
benchmarks/run_benchmark.py does), then loads every extract with the real loader into a
DuckDB file held to the default memory limit and threads, timing each phase of each file by
wrapping the loader's own functions (nothing is reimplemented here). Figures are reported,
never asserted; the table goes to stdout, to be copied into docs/performance.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

# (module attribute, phase): each phase's time includes the phases it calls.
PHASES = (
    ("extracts.in_transaction", "one file's transaction, commit included"),
    ("extracts._store", "one file's work before its commit"),
    ("extracts._stage_rows", "read the CSV and number its rows"),
    ("extracts.stage_file", "read the CSV (DuckDB's reader, structural checks, blank lines)"),
    ("loader.validate", "cast, pseudonymise (HMAC) and check every rule"),
    ("extracts._cases_lost_pct", "compare with the quarter's current load"),
    ("extracts.file_sha256", "SHA-256 of each file"),
)


def _timed(module: object, name: str, spent: Counter, phase: str) -> None:
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[phase] += time.perf_counter() - start

    setattr(module, name, wrapper)


def profile(scale: int) -> str:
    from benchmarks.run_benchmark import BENCHMARK_KEY, scale_extracts
    from pipelines.ingest import extracts, loader
    from pipelines.settings import load_settings
    from pipelines.warehouse import connect, ensure_raw_tables
    from schemas import EXTRACTS
    from synthetic_sample import write_sample_extracts

    modules = {"extracts": extracts, "loader": loader}
    spent: Counter = Counter()
    for attribute, phase in PHASES:
        module, name = attribute.split(".")
        _timed(modules[module], name, spent, phase)
    settings = load_settings()
    with tempfile.TemporaryDirectory(prefix="sendkpi-profile-") as scratch:
        folder = Path(scratch)
        write_sample_extracts(folder / "raw")
        rows = scale_extracts(folder / "raw", scale)
        per_extract = {}
        with connect(
            folder / "warehouse.duckdb",
            memory_limit=settings.duckdb_memory_limit,
            threads=settings.duckdb_threads,
            spill_dir=folder / "spill",
        ) as connection:
            ensure_raw_tables(connection, list(EXTRACTS.values()))
            started = time.perf_counter()
            for name, contract in EXTRACTS.items():
                extract_started = time.perf_counter()
                extracts.load_extract_folder(connection, contract, folder / "raw" / name, BENCHMARK_KEY)
                per_extract[name] = time.perf_counter() - extract_started
            total = time.perf_counter() - started
    lines = [
        f"Load of {rows:,} extract rows (the sample x{scale}): {total:.1f} s; DuckDB "
        f"{settings.duckdb_memory_limit}, {settings.duckdb_threads} threads.",
        "",
        "| phase | seconds | share of the load |",
        "| --- | --- | --- |",
        *(f"| {phase} | {spent[phase]:.1f} | {spent[phase] / total:.0%} |" for _, phase in PHASES),
        "",
        "| extract | seconds |",
        "| --- | --- |",
        *(f"| {name} | {seconds:.1f} |" for name, seconds in per_extract.items()),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=10, help="multiply the extract rows by this")
    print(profile(parser.parse_args().scale))


if __name__ == "__main__":
    main()
