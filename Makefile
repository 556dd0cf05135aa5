# opsintel: `make demo` sets up and runs everything; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SCALE ?= 1
TENANTS ?= 10
SEED ?= 42
# Export date of the sample company; the warehouse reports as of the same day.
AS_OF ?= 2026-10-31

# Step progress at INFO (the default console logger also prints every DEBUG event).
RUN_LOG_CONFIG := {"loggers": {"console": {"config": {"log_level": "INFO"}}}}

export DAGSTER_HOME := $(CURDIR)/.dagster_home
export OPSINTEL_AS_OF_DATE := $(AS_OF)
export DO_NOT_TRACK := 1

.PHONY: install demo data users load materialize serve test lint clean

# Recreate the environment when the declared or locked dependencies change.
$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11 ...'"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

data: install
	$(BIN)/opsintel generate --tenants $(TENANTS) --scale $(SCALE) --seed $(SEED) --as-of $(AS_OF)

# Demo sign-ins for the dashboards (README); never touches a users file that has users.
users: install
	$(BIN)/opsintel users demo

load: install
	$(BIN)/opsintel load

materialize: install
	$(BIN)/dagster asset materialize --select '*' -m orchestration.definitions --config-json '$(RUN_LOG_CONFIG)'
	$(BIN)/opsintel status

serve: install
	$(BIN)/opsintel serve

demo: data users materialize serve

test: install
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/sqlfluff lint --processes 0 dbt_project

clean:
	rm -rf data .dagster_home/storage .dagster_home/history .dagster_home/logs .dagster_home/schedules dbt_project/target dbt_project/logs
