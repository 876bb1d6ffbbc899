# Khabar: `make run` serves the API with demo content; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
ARGS ?=

.PHONY: run test bench lint typecheck clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(BIN)/khabar db upgrade
	$(BIN)/khabar demo --if-empty
	$(BIN)/khabar serve --host $(HOST) --port $(PORT)

test: $(VENV)/.dev-installed
	$(BIN)/pytest -n 2 $(ARGS)

# `make bench` runs the HTTP benchmark; `make bench search` (or `webhooks`) runs bench/search.py instead
# (a suite named after `bench` is a goal of its own, which does nothing by itself).
BENCH_SUITES := search webhooks
BENCH_SUITE := $(firstword $(filter $(BENCH_SUITES),$(MAKECMDGOALS)))
.PHONY: $(BENCH_SUITES)

bench: $(VENV)/.dev-installed
	$(BIN)/python -m bench$(if $(BENCH_SUITE),.$(BENCH_SUITE)) $(ARGS)

$(BENCH_SUITES):
	@$(if $(filter bench,$(MAKECMDGOALS)),:,echo "$@ is a benchmark suite: make bench $@")

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy app

clean:
	rm -rf $(VENV) var .pytest_cache
