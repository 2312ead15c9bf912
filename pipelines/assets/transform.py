"""Transform: the dbt project (staging -> intermediate -> marts), built and tested by dbt."""

import json
import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines.dbt_project import require_current_manifest, sendkpi_dbt_project
from pipelines.dbt_vars import dbt_environment, dbt_vars
from pipelines.resources import WarehouseResource


class SendKpiTranslator(DagsterDbtTranslator):
    """dbt sources are the ingest assets (raw/<table>); models are grouped by layer."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return None
        folder = dbt_resource_props.get("fqn", ["", "models"])[1]
        return {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}.get(folder, "reference")


require_current_manifest()


@dbt_assets(
    manifest=sendkpi_dbt_project.manifest_path,
    project=sendkpi_dbt_project,
    dagster_dbt_translator=SendKpiTranslator(),
)
def sendkpi_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    settings = warehouse.settings()
    # profiles.yml reads the build warehouse path from the environment of the dbt subprocess.
    os.environ.update(dbt_environment(settings))
    yield from dbt.cli(["build", "--vars", json.dumps(dbt_vars(settings))], context=context).stream()
