"""The statutory timescales in days, read from their one home: the dbt seed
dbt_project/seeds/statutory_timescales.csv, which the KPI models join. Python that needs a
timescale (the synthetic sample) reads it here rather than restating it."""

from __future__ import annotations

import csv
from functools import cache

from pipelines.settings import PROJECT_ROOT

TIMESCALES_SEED = PROJECT_ROOT / "dbt_project" / "seeds" / "statutory_timescales.csv"


@cache
def statutory_days() -> dict[str, int]:
    """Days from day 0 (the request) by timescale_id, e.g. {'final_ehc_plan': 140, ...}."""
    with TIMESCALES_SEED.open(newline="", encoding="utf-8") as seed:
        return {row["timescale_id"]: int(row["days"]) for row in csv.DictReader(seed)}
