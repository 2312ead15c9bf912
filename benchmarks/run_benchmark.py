"""Benchmark: the whole pipeline against a plain DuckDB baseline on the same files.

    .venv/bin/python benchmarks/run_benchmark.py --scale 10

Writes the synthetic sample, multiplies every extract's rows by --scale (each copy gets its
own ids, so the cases are distinct), then times:
  pipeline  - `refresh_all` in process: validate + pseudonymise + load, dbt build + tests, publish;
  baseline  - plain DuckDB over the same CSVs: read every case extract's files and compute
              the 20-week KPI per financial quarter (no validation, no history, no tests).
and prints rows, seconds, rows per second and the pipeline/baseline ratio. Figures are
reported, never asserted: the test suite has no timing assertions.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))


def scale_extracts(raw_dir: Path, scale: int) -> int:
    """Repeat every case extract file's rows `scale` times with distinct ids; return the rows
    written. The aggregate returns (DSG, NEET, census) are left as they are: their rows are
    keyed by period, so copies would only be quarantined as duplicates."""
    from schemas import EXTRACTS

    rows = 0
    paths = [(spec, path) for name, spec in EXTRACTS.items() for path in sorted((raw_dir / name).glob("*.csv"))]
    for spec, path in paths:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        copies = []
        for copy in range(scale):
            part = frame.copy()
            for column in spec.id_columns:
                part[column] = part[column] + f"-S{copy}"
            copies.append(part)
        scaled = pd.concat(copies, ignore_index=True)
        scaled.to_csv(path, index=False)
        rows += len(scaled)
    return rows


BASELINE_SQL = """
with requests as (
    select * from read_csv(?, all_varchar = true, header = true, filename = true)
),
latest as (
    select *, row_number() over (partition by request_id order by filename desc) as recency
    from requests
),
plans as (
    select
        cast(assessment_outcome_date as date) as issued,
        date_diff('day', cast(request_received_date as date), cast(assessment_outcome_date as date)) as days
    from latest
    where recency = 1 and assessment_outcome = 'plan_issued'
)
select
    year(issued) as calendar_year,
    quarter(issued) as calendar_quarter,
    100.0 * count(*) filter (where days <= 140) / count(*) as within_20_weeks
from plans
group by all
"""


def time_baseline(raw_dir: Path) -> float:
    """Read every case extract's files (as the pipeline does) and compute the 20-week KPI."""
    from schemas import EXTRACTS

    started = time.perf_counter()
    with duckdb.connect() as connection:
        for name in EXTRACTS:
            connection.execute(
                "select count(*) from read_csv(?, all_varchar = true, header = true)", [str(raw_dir / name / "*.csv")]
            ).fetchall()
        connection.execute(BASELINE_SQL, [str(raw_dir / "ehc_requests" / "*.csv")]).fetchall()
    return time.perf_counter() - started


def time_pipeline(data_dir: Path) -> float:
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.partitions import all_quarters_tags

    started = time.perf_counter()
    result = defs.resolve_job_def("refresh_all").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        tags=all_quarters_tags(),
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
        raise_on_error=False,
    )
    elapsed = time.perf_counter() - started
    if not result.success:
        raise SystemExit("the pipeline run failed: nothing to measure")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=1, help="multiply the sample's extract rows by this")
    arguments = parser.parse_args()
    from pipelines.sample_data import write_sample_benchmarks, write_sample_extracts

    with tempfile.TemporaryDirectory(prefix="sendkpi-benchmark-") as folder:
        data_dir = Path(folder)
        write_sample_extracts(data_dir / "raw")
        write_sample_benchmarks(data_dir / "sample_benchmarks")
        rows = scale_extracts(data_dir / "raw", arguments.scale)
        os.environ.update(
            {
                "SENDKPI_DATA_DIR": str(data_dir),
                "SENDKPI_BENCHMARKS_DIR": str(data_dir / "sample_benchmarks"),
                "SENDKPI_HOME_LA": "990",
            }
        )
        baseline = time_baseline(data_dir / "raw")
        pipeline = time_pipeline(data_dir)
    print(f"scale {arguments.scale}: {rows} extract rows (every case extract)")
    print(f"{'':<10}{'seconds':>10}{'rows/s':>12}")
    print(f"{'baseline':<10}{baseline:>10.2f}{rows / baseline:>12.0f}   plain DuckDB: read every extract, 20-week KPI")
    print(f"{'pipeline':<10}{pipeline:>10.2f}{rows / pipeline:>12.0f}   validate, load, dbt build + tests, publish")
    print(f"ratio pipeline/baseline: {pipeline / baseline:.1f}x")


if __name__ == "__main__":
    main()
