# clinvault: `make demo` and `make test` work on a fresh machine (they create .venv).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.setup-stamp
DEMO_HOME ?= .clinvault
DEMO_COHORT ?= $(DEMO_HOME)/cohort
export CLINVAULT_HOME ?= $(DEMO_HOME)

.PHONY: setup demo test lint typecheck unit conformance bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# torch CPU first: the local 2.13.0 wheel; any other version pulls multi-GB CUDA builds
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[dev]'
	# Debian chromium for the chat-page browser tests (Playwright drives it; no browser download)
	command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/clinvault synth --patients 20 --seed 42 --out $(DEMO_COHORT)
	$(VENV)/bin/clinvault ingest $(DEMO_COHORT)
	$(VENV)/bin/clinvault show

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

typecheck: setup
	$(VENV)/bin/mypy

unit: setup
	$(VENV)/bin/pytest -q -p no:cacheprovider

test: lint typecheck unit

bench: setup
	$(PY) benchmarks/bench_ingest.py

clean:
	rm -rf $(VENV) .clinvault .pytest_cache .mypy_cache .ruff_cache
