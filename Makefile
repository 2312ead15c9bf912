# The two commands a new user needs: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install demo materialise test test-fast lint dev serve scorecard report benchmark clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	touch $@

# dbt's manifest, parsed when the dbt project changes; loading the pipeline parses nothing.
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := dbt_project/dbt_project.yml $(shell find dbt_project/models dbt_project/macros dbt_project/seeds dbt_project/tests -type f 2>/dev/null)
$(MANIFEST): $(INSTALLED) $(DBT_SOURCES)
	$(BIN)/sendkpi prepare
	touch $@

install: $(INSTALLED) $(MANIFEST)

## Run the whole pipeline on the bundled synthetic sample and print the headline table.
demo: install
	$(BIN)/python -m synthetic_sample demo

## Run the pipeline on whatever is in data/raw (real extracts need a pseudonymisation key).
materialise: install
	$(BIN)/sendkpi materialise

scorecard: install
	$(BIN)/sendkpi scorecard

## Run the test suite: the fast lane, then end to end, faults and real DfE files (when
## ../shared/data/dfe exists). Only the fast lane runs on both cores: the full lane's tests
## share one built demo and time a service, so they run one at a time.
FAST_LANE := SENDKPI_TEST_LANE=fast $(BIN)/python -m pytest -n 2 -m "not e2e and not real_data"
test: install
	$(FAST_LANE)
	$(BIN)/python -m pytest -m "e2e or real_data"

## The fast lane: unit, dbt unit, contract and loader tests; no full pipeline run (docs/testing.md).
test-fast: install
	$(FAST_LANE)

## ruff (lint and format) on the Python, sqlfluff (dbt templater, DuckDB) on the dbt models.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	mkdir -p dbt_project/target
	SENDKPI_BUILD_DB=$(CURDIR)/dbt_project/target/lint.duckdb $(BIN)/sqlfluff lint dbt_project/models

## Write data/published/scorecard.html and send_kpis.xlsx again from what is published.
report: install
	$(BIN)/sendkpi report

## Open the Dagster UI on http://127.0.0.1:3000 (runs kept in .dagster_home).
dev: install
	mkdir -p .dagster_home && cp dagster.yaml .dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/dagster dev -m pipelines.definitions

## The service a council leaves running: UI and daemon (deploy/ has a systemd unit and a container).
## SENDKPI_POSTGRES_URL keeps the run history in PostgreSQL; HOST=0.0.0.0 to listen beyond this machine.
HOST ?= 127.0.0.1
PORT ?= 3000
serve: install
	$(BIN)/sendkpi serve --host $(HOST) --port $(PORT)

clean:
	rm -rf data/build data/marts/*.parquet data/warehouse.duckdb data/sample_benchmarks data/published data/run_reports dbt_project/target

## Time the pipeline against a plain DuckDB baseline at each scale (the sample's extract rows
## multiplied), with peak memory, and write the table to docs/performance.md. SCALES="1 10 100" for
## the national scale (about 14 million rows: long); RUNS=3 for medians.
SCALES ?= 1 10
RUNS ?= 1
benchmark: install
	$(BIN)/python benchmarks/run_benchmark.py --scales $(SCALES) --runs $(RUNS) --write-docs
