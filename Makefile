# clinvault: `make demo` and `make test` work on a fresh machine (they create .venv).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.setup-stamp
DEMO_HOME ?= .clinvault
DEMO_COHORT ?= $(DEMO_HOME)/cohort
DEMO_SPLIT_DIR ?= .clinvault-split
export CLINVAULT_HOME ?= $(DEMO_HOME)

.PHONY: setup demo demo-split test lint typecheck unit browser bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# torch CPU first: the local 2.13.0 wheel; any other version pulls multi-GB CUDA builds
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[dev,ray]'
	touch $(STAMP)

# Debian chromium for the chat-page browser tests (Playwright drives it; no browser download).
# Installed only for `make test`, and only where we may (root); elsewhere those tests skip.
browser:
	@command -v chromium >/dev/null || [ "$$(id -u)" != 0 ] || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

setup: $(STAMP)

# synth -> ingest -> grant -> cited answers (clinician, then researcher) -> audit -> serve
demo: setup
	DEMO_COHORT=$(DEMO_COHORT) scripts/demo.sh

# the same flow with the vault as its own process: `clinvault vault serve` over mutual TLS,
# asks through the remote client from a home without keys, both audit chains verified
demo-split: setup
	DEMO_SPLIT_DIR=$(DEMO_SPLIT_DIR) scripts/demo_split.sh

# lint-imports: the layer order and the no-eval-in-production contract (.importlinter)
lint: setup
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/lint-imports

typecheck: setup
	$(VENV)/bin/mypy

unit: setup browser
	$(VENV)/bin/pytest -q -p no:cacheprovider

test: lint typecheck unit

bench: setup
	$(PY) benchmarks/bench_ingest.py

clean:
	rm -rf $(VENV) .clinvault .pytest_cache .mypy_cache .ruff_cache
