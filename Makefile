# customer-bulk: the commands people expect. `make demo` runs the main job locally, `make test` is what CI runs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
PYTEST_WORKERS ?= 2

.PHONY: help venv demo serve test lint unit bench build clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed (Lambda runs 3.11)"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

venv: $(STAMP)  ## create .venv with everything pinned in constraints.txt

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

test: lint  ## everything CI runs: lint, then every test on the local stack
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) tests

bench: $(STAMP)  ## the benchmarks (each prints its figures; the last line is JSON)
	$(BIN)/python bench/validate.py
	$(BIN)/python bench/import_e2e.py
	$(BIN)/python bench/export.py

build:  ## sam build (needs the AWS SAM CLI)
	sam validate --lint
	sam build

clean:  ## remove the virtualenv, tools and caches
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .aws-sam customer-bulk-output
