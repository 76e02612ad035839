# customer-bulk: the commands people expect. `make demo` runs the main job locally, `make test` is what CI runs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
PYTEST_WORKERS ?= 2
# The SAM CLI lives in a venv of its own: it pins boto3 and click versions that conflict with ours.
SAM_CLI_VERSION := 1.170.0
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
SAM_STAMP := $(SAM_VENV)/.installed-$(SAM_CLI_VERSION)
BUILT := .aws-sam/build/template.yaml
# boto3 as Lambda's python3.11 runtime provides it, for the artifact check's import path.
LAMBDA_RUNTIME := .aws-sam/lambda-runtime
export SAM_CLI_TELEMETRY := 0
# layers/shared/Makefile (run by `sam build`) installs the layer's wheels with this interpreter.
export PYTHON
# The email rendering tests and `make screenshots` drive Debian's Chromium through Playwright, which must never
# download a browser of its own (the launches name the system's `chromium`).
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
BROWSER_STAMP := $(VENV)/.browser

.PHONY: help venv demo serve test check lint unit bench build clean browser screenshots catalogs openapi

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed (Lambda runs 3.11)"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

$(SAM_STAMP):
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli==$(SAM_CLI_VERSION)
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

venv: $(STAMP)  ## create .venv with everything pinned in constraints.txt

# Debian's chromium, installed once when no `chromium` is on PATH (sudo only when not root).
$(BROWSER_STAMP):
	@if ! command -v chromium >/dev/null; then \
		sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$sudo apt-get update; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; \
	fi
	@command -v chromium >/dev/null
	@mkdir -p $(VENV) && touch $@

browser: $(BROWSER_STAMP)  ## install headless Chromium (Debian's) for the email rendering tests and screenshots

screenshots: $(STAMP) $(BROWSER_STAMP)  ## every notice email in every language into docs/emails/, each console step into docs/console/
	$(BIN)/python -m customer_bulk_local.screenshots

openapi: $(STAMP)  ## after changing a route or a model of the API: write docs/openapi.json (the unit tests compare)
	$(BIN)/python -m customer_bulk_local.openapi > docs/openapi.json

catalogs: $(STAMP)  ## after changing messages: extract them, merge into each language's .po, compile the .mo files
	$(BIN)/python -m customer_bulk_local.catalogs update
	$(BIN)/python -m customer_bulk_local.catalogs check

demo: $(STAMP)  ## import the bundled 2,500-customer sample on the embedded local AWS and show the email
	$(BIN)/customer-bulk import samples/customers-demo.xlsx --tenant demo

serve: $(STAMP)  ## run the local stack and its HTTP API until Ctrl-C
	$(BIN)/customer-bulk serve

lint: $(STAMP) $(NODE_STAMP)  ## ruff, mypy, cfn-lint and the state machine validator
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/cfn-lint template.yaml
	npx --no-install asl-validator $(foreach f,$(wildcard statemachine/*.asl.json),--json-path $(f))

unit: $(STAMP)  ## the fast tests only (no local stack)
	$(BIN)/pytest -q tests/unit

check: $(STAMP)  ## the fast lane (about a minute): ruff, mypy and the tests that need no local stack
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) tests/unit

# Volume tests fill their stack's tables with tens of thousands of items, which slows every later query on that
# stack (the emulator scans a table for each index query): they run in a lane of their own, one stack each.
test: browser lint build  ## everything CI runs: lint, the build and its artifact check, every test on the local stack
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) -m "not slow" tests
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) -m slow tests

bench: $(STAMP)  ## the benchmarks (each prints its figures; the last line is JSON)
	$(BIN)/python bench/validate.py
	$(BIN)/python bench/import_e2e.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/aws_model.py
	$(BIN)/python bench/write_paths.py

build: $(BUILT) $(LAMBDA_RUNTIME)/.installed  ## sam validate + sam build: the artifact in .aws-sam/build

$(BUILT): $(SAM_STAMP) template.yaml samconfig.toml $(shell find functions layers statemachine -type f -not -path '*/__pycache__/*')
	$(SAM) validate --lint --region us-east-1
	$(SAM) build
	@touch $@

$(LAMBDA_RUNTIME)/.installed: $(STAMP) constraints.txt
	$(BIN)/python -m pip install --quiet --no-compile --upgrade --target $(LAMBDA_RUNTIME) -c constraints.txt boto3
	@touch $@

clean:  ## remove the virtualenv, tools and caches
	rm -rf $(VENV) $(SAM_VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .aws-sam customer-bulk-output
