"""Benchmark: the whole pipeline against a plain DuckDB baseline on the same files.

    .venv/bin/python benchmarks/run_benchmark.py --scales 1 10 [--runs 3] [--write-docs]
    make benchmark                  # 1x and 10x, table written to docs/performance.md
    make benchmark SCALES="1 10 100"

For each scale: writes the synthetic sample, multiplies every case extract's rows by the
scale (each copy gets its own ids, so the cases are distinct) and holds the latest quarter's
files back; then measures, each as its own process tree (wall time, and the peak of the
resident memory summed over the process and all its children, sampled every 0.1 s):
  baseline       - plain DuckDB over the same CSVs: read every case extract's files and
                   compute the 20-week KPI (no validation, history, tests or publishing);
  full refresh   - `sendkpi materialise --full-refresh`: validate + pseudonymise + load,
                   dbt build with every data test (the unit tests run in `make test`), publish;
  nothing new    - `sendkpi materialise` again with nothing changed;
  one new quarter - the held-back quarter's files put back, then `sendkpi materialise`.
Medians over --runs. Figures are reported, never asserted: the test suite has no timing
assertions. --write-docs replaces the measured table in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

PERFORMANCE_DOC = PROJECT_ROOT / "docs" / "performance.md"
TABLE_START = "<!-- benchmark table: written by benchmarks/run_benchmark.py --write-docs -->"
TABLE_END = "<!-- end of benchmark table -->"
# Not a secret: it pseudonymises synthetic rows only (the scaled sample is no longer the
# bundled sample, so the demo key does not apply).
BENCHMARK_KEY = "benchmark-key-synthetic-rows-only-0123456789"


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


def hold_back_latest_quarter(raw_dir: Path, held_dir: Path) -> str:
    """Move every case extract file of the latest quarter out of raw/ (kept in held_dir)."""
    from pipelines.periods import FinancialQuarter
    from schemas import EXTRACTS

    files = [path for name in EXTRACTS for path in (raw_dir / name).glob("*.csv")]
    latest = max(FinancialQuarter.find_in(path.name) for path in files)
    for path in files:
        if FinancialQuarter.find_in(path.name) == latest:
            target = held_dir / path.relative_to(raw_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
    return latest.label


def put_back(held_dir: Path, raw_dir: Path) -> None:
    for path in [p for p in held_dir.rglob("*") if p.is_file()]:
        shutil.copy2(path, raw_dir / path.relative_to(held_dir))


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


def run_baseline(raw_dir: Path) -> None:
    """Read every case extract's files (as the pipeline does) and compute the 20-week KPI."""
    import duckdb

    from schemas import EXTRACTS

    with duckdb.connect() as connection:
        for name in EXTRACTS:
            connection.execute(
                "select count(*) from read_csv(?, all_varchar = true, header = true)", [str(raw_dir / name / "*.csv")]
            ).fetchall()
        connection.execute(BASELINE_SQL, [str(raw_dir / "ehc_requests" / "*.csv")]).fetchall()


def _tree_rss_bytes(root: int) -> int:
    """Resident memory of `root` and every process descending from it (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    total = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_bytes: int
    output: str


def measure(command: list[str], environment: dict[str, str]) -> Measurement:
    """Run `command`, timing it and sampling its process tree's memory every 0.1 s."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=PROJECT_ROOT
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_bytes(process.pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{output[-3000:]}")
    return Measurement(elapsed, peak, output)


@dataclass(frozen=True)
class ScaleResult:
    scale: int
    rows: int
    held_quarter: str
    baseline: list[Measurement]
    full_refresh: list[Measurement]
    nothing_new: list[Measurement]
    one_new_quarter: list[Measurement]


def _sendkpi() -> str:
    beside = Path(sys.executable).parent / "sendkpi"
    return str(beside) if beside.exists() else "sendkpi"


def run_scale(scale: int, runs: int) -> ScaleResult:
    from synthetic_sample import write_sample_benchmarks, write_sample_extracts

    results: dict[str, list[Measurement]] = {"baseline": [], "full": [], "none": [], "one": []}
    rows, held_quarter = 0, ""
    for run in range(runs):
        with tempfile.TemporaryDirectory(prefix="sendkpi-benchmark-") as folder:
            data_dir = Path(folder) / "data"
            raw_dir = data_dir / "raw"
            write_sample_extracts(raw_dir)
            write_sample_benchmarks(data_dir / "sample_benchmarks")
            rows = scale_extracts(raw_dir, scale)
            held_quarter = hold_back_latest_quarter(raw_dir, Path(folder) / "held")
            environment = {
                **{name: value for name, value in os.environ.items() if not name.startswith("SENDKPI_")},
                "SENDKPI_DATA_DIR": str(data_dir),
                "SENDKPI_BENCHMARKS_DIR": str(data_dir / "sample_benchmarks"),
                "SENDKPI_HOME_LA": "990",
                "SENDKPI_PSEUDONYMISATION_KEY": BENCHMARK_KEY,
            }
            environment.pop("DAGSTER_HOME", None)
            print(f"scale {scale}, run {run + 1} of {runs}: {rows:,} extract rows", flush=True)
            results["baseline"].append(
                measure([sys.executable, __file__, "--baseline-only", str(raw_dir)], environment)
            )
            results["full"].append(measure([_sendkpi(), "materialise", "--full-refresh"], environment))
            nothing = measure([_sendkpi(), "materialise"], environment)
            if "Nothing changed" not in nothing.output:
                raise SystemExit(f"the run with nothing new did work:\n{nothing.output[-2000:]}")
            results["none"].append(nothing)
            put_back(Path(folder) / "held", raw_dir)
            results["one"].append(measure([_sendkpi(), "materialise"], environment))
    return ScaleResult(scale, rows, held_quarter, results["baseline"], results["full"], results["none"], results["one"])


def _median_seconds(measurements: list[Measurement]) -> float:
    return statistics.median(m.seconds for m in measurements)


def _peak_gib(measurements: list[Measurement]) -> float:
    return max(m.peak_bytes for m in measurements) / 2**30


def table(results: list[ScaleResult], runs: int) -> str:
    lines = [
        f"Measured {date.today().isoformat()} by `benchmarks/run_benchmark.py` on {platform.node() or 'this machine'} "
        f"({os.cpu_count()} cores); {'median of ' + str(runs) + ' runs' if runs > 1 else 'one run'} per figure; "
        "peak = the largest resident memory summed over the process tree, sampled every 0.1 s.",
        "",
        "| scale | extract rows | plain DuckDB | full refresh | ratio | peak memory (full refresh) "
        "| nothing new | one new quarter | one new quarter / full refresh | peak memory (one new quarter) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        baseline, full = _median_seconds(result.baseline), _median_seconds(result.full_refresh)
        one = _median_seconds(result.one_new_quarter)
        lines.append(
            f"| {result.scale}x | {result.rows:,} | {baseline:.1f} s ({_peak_gib(result.baseline):.2f} GiB) "
            f"| {full:.1f} s | {full / baseline:.0f}x | {_peak_gib(result.full_refresh):.2f} GiB "
            f"| {_median_seconds(result.nothing_new):.1f} s | {one:.1f} s ({result.held_quarter}) "
            f"| {100 * one / full:.0f}% | {_peak_gib(result.one_new_quarter):.2f} GiB |"
        )
    return "\n".join(lines)


def step_seconds(output: str) -> dict[str, float]:
    """Seconds per step from the progress lines of `sendkpi materialise` (pipelines/progress.py)."""
    steps = {}
    for match in re.finditer(r"^  finished  (\S+) \(([\d.]+) s\)$", output, re.M):
        steps[match.group(1)] = float(match.group(2))
    return steps


def profile(result: ScaleResult) -> str:
    """Where the time of the largest scale's runs goes: steps over 0.5 s, the rest summed, and
    what no step accounts for (starting Python, Dagster and the run; writing the report)."""
    full = step_seconds(result.full_refresh[-1].output)
    one = step_seconds(result.one_new_quarter[-1].output)
    lines = [
        "",
        f"Where the time goes at {result.scale}x (the last run; seconds per step from the progress lines):",
        "",
        "| step | full refresh | one new quarter |",
        "| --- | --- | --- |",
    ]
    small_full = small_one = 0.0
    for step in full:
        if full[step] >= 0.5 or one.get(step, 0) >= 0.5:
            lines.append(f"| {step} | {full[step]:.1f} | {one.get(step, 0):.1f} |")
        else:
            small_full += full[step]
            small_one += one.get(step, 0)
    lines.append(f"| every other step | {small_full:.1f} | {small_one:.1f} |")
    lines.append(
        f"| outside the steps (start-up, report) | {result.full_refresh[-1].seconds - sum(full.values()):.1f} "
        f"| {result.one_new_quarter[-1].seconds - sum(one.values()):.1f} |"
    )
    return "\n".join(lines)


def write_docs(text: str) -> None:
    document = PERFORMANCE_DOC.read_text(encoding="utf-8")
    if TABLE_START not in document or TABLE_END not in document:
        raise SystemExit(f"{PERFORMANCE_DOC} has no benchmark table markers ({TABLE_START})")
    before, rest = document.split(TABLE_START, 1)
    _, after = rest.split(TABLE_END, 1)
    PERFORMANCE_DOC.write_text(f"{before}{TABLE_START}\n{text}\n{TABLE_END}{after}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10], help="multiply the extract rows by each")
    parser.add_argument("--runs", type=int, default=1, help="runs per scale (medians reported)")
    parser.add_argument("--write-docs", action="store_true", help="replace the table in docs/performance.md")
    parser.add_argument("--baseline-only", metavar="RAW_DIR", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.baseline_only:
        run_baseline(Path(arguments.baseline_only))
        return
    results = [run_scale(scale, arguments.runs) for scale in arguments.scales]
    text = table(results, arguments.runs) + "\n" + profile(results[-1])
    print(text)
    if arguments.write_docs:
        write_docs(text)
        print(f"Written to {PERFORMANCE_DOC}")


if __name__ == "__main__":
    main()
