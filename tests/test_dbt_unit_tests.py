"""The dbt project's unit tests (KPI rules on hand-made rows), in the fast lane.

No pipeline run: the ingest assets load the synthetic DfE benchmarks and no extract, dbt
builds every model empty (`dbt run --empty`, so that unit tests know the column types of
their inputs), then `dbt test --select test_type:unit` runs every unit test.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import dagster as dg
import pytest
import yaml

from synthetic_sample import write_sample_benchmarks
from tests.dbt_helpers import DBT_PROJECT_DIR as DBT_PROJECT
from tests.dbt_helpers import run_dbt


def _declared_unit_tests() -> set[str]:
    names = set()
    for path in (DBT_PROJECT / "models").rglob("*.yml"):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names.update(test["name"] for test in document.get("unit_tests", []))
    return names


def _dbt(arguments: list[str], work: Path) -> subprocess.CompletedProcess:
    return run_dbt(arguments, work / "build" / "warehouse_build.duckdb", work)


@pytest.fixture(scope="module")
def empty_models(tmp_path_factory) -> Path:
    """A build warehouse holding the raw tables (loaded by the real ingest assets from the
    synthetic benchmarks and an empty raw/ folder) and every dbt model built empty."""
    from pipelines.definitions import defs
    from pipelines.partitions import all_quarters_tags
    from tests.conftest import environment

    work = tmp_path_factory.mktemp("dbt_unit")
    (work / "raw").mkdir()
    write_sample_benchmarks(work / "benchmarks")
    ingest_only = dg.define_asset_job(
        "ingest_only",
        selection=dg.AssetSelection.groups("ingest", "benchmarks", "finance"),
        executor_def=dg.in_process_executor,
    )
    instance = dg.DagsterInstance.ephemeral()
    with environment(SENDKPI_DATA_DIR=str(work), SENDKPI_BENCHMARKS_DIR=str(work / "benchmarks")):
        result = (
            dg.Definitions.merge(defs, dg.Definitions(jobs=[ingest_only]))
            .resolve_job_def("ingest_only")
            .execute_in_process(instance=instance, tags=all_quarters_tags(instance))
        )
    assert result.success
    for arguments in (["seed"], ["run", "--empty"]):
        completed = _dbt(arguments, work)
        assert completed.returncode == 0, completed.stdout[-3000:]
    return work


def test_every_dbt_unit_test_passes(empty_models: Path):
    declared = _declared_unit_tests()
    assert declared, "no unit_tests found in dbt_project/models/*.yml"
    completed = _dbt(["test", "--select", "test_type:unit"], empty_models)
    assert completed.returncode == 0, completed.stdout[-5000:]
    run_results = json.loads((empty_models / "target" / "run_results.json").read_text())
    passed = {result["unique_id"].split(".")[-1] for result in run_results["results"] if result["status"] == "pass"}
    # Every unit test written in the YAML ran and passed: none was skipped or deselected.
    assert declared <= passed, sorted(declared - passed)


def test_a_comparator_code_that_is_not_an_authority_stops_the_build_naming_it(empty_models: Path):
    """The warehouse here knows the synthetic sample's authorities: 885 is not one of them."""
    groups = json.dumps({"comparator_groups": [{"group_name": "panel", "member_code": "885"}]})
    # The models upstream are built with data this time, so the reference data is there.
    completed = _dbt(["run", "--select", "+int_comparator_group_members", "--vars", groups], empty_models)
    assert completed.returncode != 0
    assert "comparator group panel: 885 is not an authority in DfE's reference data" in completed.stdout
    known = json.dumps({"comparator_groups": [{"group_name": "panel", "member_code": "E06009991"}]})
    assert _dbt(["run", "--select", "int_comparator_group_members", "--vars", known], empty_models).returncode == 0


def test_every_mart_has_an_enforced_contract_with_a_type_for_every_column():
    """What is published has a declared schema: dbt stops the build when a mart's columns or
    their types differ from its contract (checked by every pipeline build)."""
    marts = sorted((DBT_PROJECT / "models" / "marts").glob("*.sql"))
    assert marts
    for sql in marts:
        model = yaml.safe_load(sql.with_suffix(".yml").read_text(encoding="utf-8"))["models"][0]
        assert model["name"] == sql.stem
        assert model.get("config", {}).get("contract", {}).get("enforced") is True, sql.stem
        untyped = [column["name"] for column in model["columns"] if not column.get("data_type")]
        assert model["columns"] and not untyped, (sql.stem, untyped)


def test_every_mart_contract_lists_the_columns_in_the_order_its_model_selects_them(empty_models: Path):
    """dbt creates a contracted table in its contract's column order, not the model's: a
    contract listing columns in another order silently moves the published columns (readers by
    position break). The model's own order comes from DuckDB describing its compiled SQL."""
    import duckdb

    compiled = {path.stem: path for path in (empty_models / "target" / "compiled").rglob("marts/*.sql")}
    marts = sorted((DBT_PROJECT / "models" / "marts").glob("*.sql"))
    assert marts and {sql.stem for sql in marts} <= set(compiled)
    with duckdb.connect(str(empty_models / "build" / "warehouse_build.duckdb"), read_only=True) as connection:
        for sql in marts:
            model = yaml.safe_load(sql.with_suffix(".yml").read_text(encoding="utf-8"))["models"][0]
            selected = [row[0] for row in connection.execute(f"describe {compiled[sql.stem].read_text()}").fetchall()]
            assert [column["name"] for column in model["columns"]] == selected, sql.stem
