"""Settings -> dbt: the vars every dbt invocation gets, and where dbt writes."""

from __future__ import annotations

from pipelines.settings import DSG_STATED_KEYS, DsgSettings, Settings


def dbt_vars(settings: Settings) -> dict[str, object]:
    """The dbt vars for a build, from the settings (a pure function: tested)."""
    return {
        "home_la": settings.home_la,
        "sn_model": settings.sn_model,
        "small_count_threshold": settings.small_count_threshold,
        "trend_quarters": settings.trend_quarters,
        "trend_horizon_quarters": settings.trend_horizon_quarters,
        # One row per member: models/intermediate/int_comparator_group_members.sql.
        "comparator_groups": [
            {"group_name": group.name, "member_code": code}
            for group in settings.comparator_groups
            for code in group.members
        ],
        **dsg_vars(settings.dsg),
    }


def dsg_vars(dsg: DsgSettings) -> dict[str, object]:
    """The [dsg] settings as JSON-able dbt vars (models/marts/dsg_deficit_projection.sql)."""
    return {
        "dsg_statutory_override_end": dsg.statutory_override_end.isoformat(),
        "dsg_projection_years": dsg.projection_years,
        "dsg_deficit_thresholds": [
            {"measure": measure, "threshold": threshold}
            for measure, threshold in (
                ("closing_deficit", dsg.deficit_threshold_gbp_k),
                ("closing_deficit_pct_of_allocation", dsg.deficit_threshold_pct_of_allocation),
            )
            if threshold is not None
        ],
        "dsg_scenarios": [
            {
                "name": scenario.name,
                "high_needs_allocation_growth_pct": scenario.high_needs_allocation_growth_pct,
                "high_needs_demand_growth_pct": scenario.high_needs_demand_growth_pct,
                "savings_gbp_k": scenario.savings_gbp_k,
                "stated": [
                    {"financial_year": year, **{key: amounts.get(key) for key in DSG_STATED_KEYS}}
                    for year, amounts in sorted(scenario.stated.items())
                ],
            }
            for scenario in dsg.scenarios
        ],
    }


def dbt_environment(settings: Settings) -> dict[str, str]:
    """Environment for the dbt subprocess: profiles.yml reads the build warehouse path and
    DuckDB's memory limit, threads and spill folder here."""
    settings.duckdb_spill_dir.mkdir(parents=True, exist_ok=True)
    return {
        "SENDKPI_BUILD_DB": str(settings.build_warehouse_path),
        "SENDKPI_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
        "SENDKPI_DUCKDB_THREADS": str(settings.duckdb_threads),
        "SENDKPI_DUCKDB_SPILL_DIR": str(settings.duckdb_spill_dir),
    }
