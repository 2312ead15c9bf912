"""Settings -> dbt: the vars every dbt invocation gets, and where dbt writes."""

from __future__ import annotations

from pipelines.settings import Settings


def dbt_vars(settings: Settings) -> dict[str, str | int]:
    """The dbt vars for a build, from the settings (a pure function: tested)."""
    return {
        "home_la": settings.home_la,
        "sn_model": settings.sn_model,
        "small_count_threshold": settings.small_count_threshold,
    }


def dbt_environment(settings: Settings) -> dict[str, str]:
    """Environment for the dbt subprocess: profiles.yml reads the build warehouse path here."""
    return {"SENDKPI_BUILD_DB": str(settings.build_warehouse_path)}
