"""Transform: the dbt project (staging -> intermediate -> marts), built and tested by dbt."""

import json
import logging
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines.dbt_project import (
    keep_parse_for_next_run,
    prune_run_folders,
    require_current_manifest,
    sendkpi_dbt_project,
)
from pipelines.dbt_vars import dbt_environment, dbt_vars
from pipelines.resources import WarehouseResource
from pipelines.settings import environment


class SendKpiTranslator(DagsterDbtTranslator):
    """dbt sources are the ingest assets (raw/<table>); models are grouped by layer."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return None
        folder = dbt_resource_props.get("fqn", ["", "models"])[1]
        return {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}.get(folder, "reference")


class _SourceTestNoticeFilter(logging.Filter):
    """`dbt build` runs the tests on the dbt sources (the raw/* tables, already validated by
    the blocking pandera checks); dagster-dbt keeps each result as an observation of the
    source and warns, once per test and run, that it is not an asset check: some sixty
    lines of every run's log that ask nothing of anyone. Those warnings only are dropped."""

    NOTICE = "Logging an `AssetObservation` instead of an `AssetCheckResult` for dbt test `source_"

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.NOTICE)


SOURCE_TEST_NOTICE_FILTER = _SourceTestNoticeFilter()

# dbt unit tests check the SQL on hand-made rows, not the data: the same for every run of the
# same code, so a refresh does not pay for them (9 of the demo build's 20 s); `make test` and CI
# run them (tests/test_dbt_unit_tests.py), as dbt recommends (unit tests in development and
# CI, not in production). Every data test still runs in every build.
PIPELINE_BUILD_EXCLUDES = ("--exclude-resource-type", "unit_test")

require_current_manifest()


@dbt_assets(
    manifest=sendkpi_dbt_project.manifest_path,
    project=sendkpi_dbt_project,
    dagster_dbt_translator=SendKpiTranslator(),
)
def sendkpi_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    settings = warehouse.settings()
    logging.getLogger("dagster.builtin").addFilter(SOURCE_TEST_NOTICE_FILTER)
    # profiles.yml reads the build warehouse path from the dbt subprocess's environment: set
    # while dbt starts (it copies the environment then), this process's own comes back after.
    with environment(**dbt_environment(settings)):
        build = dbt.cli(["build", *PIPELINE_BUILD_EXCLUDES, "--vars", json.dumps(dbt_vars(settings))], context=context)
    yield from build.stream()
    keep_parse_for_next_run(build.target_path)
    prune_run_folders(sendkpi_dbt_project.project_dir / build.target_path.parent, context.op_execution_context.op.name)
