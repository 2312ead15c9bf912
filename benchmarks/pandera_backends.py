"""Measure pandera's backends on the stored extracts: pandas, polars and ibis (on DuckDB).

    .venv/bin/python benchmarks/pandera_backends.py --scale 10

Writes the synthetic sample, multiplies every case extract's rows by --scale (as
benchmarks/run_benchmark.py does), loads it with the real loader into a DuckDB file, then
validates every extract's current rows with the contract's pandera schema
(schemas/validation.py) once per backend, each in its own process, and reports the wall time
and the process's peak memory (its maximum resident set, which includes the rows a backend
copies out of DuckDB). Figures are reported, never asserted. The table goes to stdout, to be
copied into docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))
BACKENDS = ("pandas", "polars", "ibis")


def build_warehouse(folder: Path, scale: int) -> tuple[Path, int]:
    from benchmarks.run_benchmark import scale_extracts
    from pipelines.ingest.extracts import LoadPolicy, load_extract_folder
    from pipelines.settings import DEMO_PSEUDONYMISATION_KEY
    from pipelines.warehouse import connect, ensure_raw_tables
    from schemas import EXTRACTS
    from synthetic_sample import write_sample_extracts

    raw = folder / "raw"
    write_sample_extracts(raw)
    rows = scale_extracts(raw, scale)
    path = folder / "warehouse.duckdb"
    with connect(path) as connection:
        ensure_raw_tables(connection, EXTRACTS.values())
        for name, spec in EXTRACTS.items():
            load_extract_folder(connection, spec, raw / name, DEMO_PSEUDONYMISATION_KEY, policy=LoadPolicy())
    return path, rows


def measure(path: Path, backend: str) -> dict:
    """In this process: validate every extract's current rows; time and peak memory."""
    import resource

    from pipelines.checks import current_rows_query
    from pipelines.warehouse import connect
    from schemas import EXTRACTS
    from schemas.validation import validate_query

    started = time.perf_counter()
    rows = failures = 0
    with connect(path) as connection:
        for spec in EXTRACTS.values():
            result = validate_query(connection, spec, current_rows_query(spec), backend)
            rows += result.rows_checked
            failures += result.failures
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"backend": backend, "rows": rows, "failures": failures, "seconds": seconds, "peak_mib": peak_mib}


def _baseline_mib() -> float:
    """Peak memory of a process that imports the same modules and validates nothing."""
    import resource

    import ibis  # noqa: F401
    import pandera.ibis  # noqa: F401
    import pandera.pandas  # noqa: F401
    import pandera.polars  # noqa: F401
    import polars  # noqa: F401

    import schemas.validation  # noqa: F401

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3, help="runs per backend; the median is reported")
    parser.add_argument("--measure", nargs=2, metavar=("WAREHOUSE", "BACKEND"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:
        warehouse, backend = arguments.measure
        print(json.dumps(measure(Path(warehouse), backend) if backend != "none" else {"peak_mib": _baseline_mib()}))
        return
    with tempfile.TemporaryDirectory(prefix="sendkpi-pandera-") as folder:
        started = time.perf_counter()
        path, rows = build_warehouse(Path(folder), arguments.scale)
        print(f"{rows:,} extract rows at scale {arguments.scale}, loaded in {time.perf_counter() - started:.0f} s")

        def run(backend: str) -> dict:
            output = subprocess.run(
                [sys.executable, __file__, "--measure", str(path), backend],
                check=True,
                capture_output=True,
                text=True,
                cwd=PROJECT_ROOT,
            ).stdout
            return json.loads(output.strip().splitlines()[-1])

        baseline = sorted(run("none")["peak_mib"] for _ in range(arguments.runs))[arguments.runs // 2]
        print(f"imports alone: peak {baseline:.0f} MiB")
        print("| backend | rows validated | failures | seconds (median) | peak memory MiB (median) | above imports |")
        print("| --- | --- | --- | --- | --- | --- |")
        for backend in BACKENDS:
            results = [run(backend) for _ in range(arguments.runs)]
            seconds = sorted(r["seconds"] for r in results)[arguments.runs // 2]
            peak = sorted(r["peak_mib"] for r in results)[arguments.runs // 2]
            print(
                f"| {backend} | {results[0]['rows']:,} | {results[0]['failures']} | {seconds:.1f} | {peak:.0f} | "
                f"{peak - baseline:+.0f} |"
            )


if __name__ == "__main__":
    main()
