# Every workflow of the project. Targets install what they need on first use (.venv from
# requirements-dev.txt); run `make help` for the list.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_BOOTSTRAP ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

export LAKE_ROOT ?= data/lake
export WAREHOUSE_PATH ?= data/warehouse.duckdb
export DBT_PROFILES_DIR ?= $(CURDIR)
export DBT_PROJECT_DIR ?= $(CURDIR)/dbt_project

DEMO_SEED ?= 7
DEMO_DAYS ?= 30
DEMO_SESSIONS ?= 6000
DEMO_CLIENTS ?= 3
DEMO_LOGS := data/demo_logs

.PHONY: help setup test lint fmt demo clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | sort

## --- foundation -------------------------------------------------------------------------------
$(STAMP): requirements-dev.txt
	@echo "==> creating $(VENV) and installing pinned tools (first run takes ~2 min)"
	@test -x $(PY) || $(PYTHON_BOOTSTRAP) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

setup: $(STAMP) ## create .venv with every pinned tool (idempotent)

lint: setup ## ruff, sqlfluff and terraform fmt, all read-only
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

fmt: setup ## apply ruff's formatter and fixes
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

test: setup lint ## every check the project has (lint, then pytest over tests/)
	$(PY) -m pytest

## --- ingest -----------------------------------------------------------------------------------

## --- dbt --------------------------------------------------------------------------------------

## --- api --------------------------------------------------------------------------------------

## --- terraform and packaging ------------------------------------------------------------------

## --- viewer -----------------------------------------------------------------------------------

## --- bench ------------------------------------------------------------------------------------

## --- demo -------------------------------------------------------------------------------------
demo: setup ## simulate a month of traffic, ingest it, build, serve (grows with each part)
	@echo "==> [1/2] simulating $(DEMO_DAYS) days of app logs into $(DEMO_LOGS) (seed $(DEMO_SEED))"
	$(PY) -m ingest_lambda.simulate --out $(DEMO_LOGS) --seed $(DEMO_SEED) --days $(DEMO_DAYS) --sessions $(DEMO_SESSIONS) --clients $(DEMO_CLIENTS)
	@echo "==> [2/2] ingesting $(DEMO_LOGS) into $(LAKE_ROOT)"
	$(PY) -m ingest_lambda --from-dir $(DEMO_LOGS)

clean: ## remove generated data, build output and caches (keeps .venv)
	rm -rf data build dbt_project/target dbt_project/logs tests/artifacts .pytest_cache .ruff_cache
