# Everything goes through a local virtualenv, built from the lock file (uv.lock).
# Only Python 3.10+ with pip and venv is needed on the machine.
PYTHON ?= python3
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck check bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==0.13.9"

$(BIN)/agentwrap: $(UV) pyproject.toml uv.lock
	UV_PYTHON=$(PYTHON) $(UV) sync --frozen --all-extras --quiet
	@touch $@

demo: $(BIN)/agentwrap
	$(BIN)/agentwrap demo

test: $(BIN)/agentwrap
	$(BIN)/python -m pytest

lint: $(BIN)/agentwrap
	$(BIN)/ruff check agentwrap patches tests benchmarks examples
	$(BIN)/ruff format --check agentwrap patches tests benchmarks examples

typecheck: $(BIN)/agentwrap
	$(BIN)/mypy agentwrap patches

check: lint typecheck test

# The benchmarks run in their own venv with the peer instrumentations (never in uv.lock).
BENCH := .venv-bench

$(BENCH)/installed: $(UV) benchmarks/requirements.txt pyproject.toml
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(BENCH)
	VIRTUAL_ENV=$(BENCH) $(UV) pip install --quiet -r benchmarks/requirements.txt
	@touch $@

bench: $(BENCH)/installed
	$(BENCH)/bin/python -m benchmarks.overhead $(BENCH_ARGS)
	$(BENCH)/bin/python -m benchmarks.memory $(BENCH_ARGS)
	$(BENCH)/bin/python -m benchmarks.startup
	$(BENCH)/bin/python -m benchmarks.growth

clean:
	rm -rf $(VENV) $(BENCH) $(TOOLS) build dist *.egg-info
