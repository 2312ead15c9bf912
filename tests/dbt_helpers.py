"""Running the project's dbt in a test: its own warehouse file, target and log folders, so
the project's manifest and any real warehouse are left alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"


def run_dbt(arguments: list[str], build_db: Path, work: Path) -> subprocess.CompletedProcess:
    """`dbt <arguments>` against the DuckDB file `build_db`, writing under `work`."""
    beside_python = Path(sys.executable).parent / "dbt"
    return subprocess.run(
        [
            str(beside_python) if beside_python.exists() else "dbt",
            *arguments,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
        ],
        env={**os.environ, "SENDKPI_BUILD_DB": str(build_db), "DBT_USE_COLORS": "false"},
        capture_output=True,
        text=True,
        timeout=900,
        cwd=DBT_PROJECT_DIR,
    )
