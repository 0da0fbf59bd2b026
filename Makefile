# Everything goes through a local virtualenv, built from the lock file (uv.lock).
# Only Python 3.10+ with pip and venv is needed on the machine.
PYTHON ?= python3
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-compat lint typecheck check bench clean

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

# The oldest supported SDKs on the oldest supported Python (3.10 when the machine has one),
# beside the newest ones that uv.lock pins for `make test`. Frameworks, the dashboard and the
# stores do not depend on the SDK version and are not run again here.
COMPAT        := .venv-compat
COMPAT_PYTHON ?= $(shell for p in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3.10; do \
                   $$p -c 'import sys; print(sys.executable)' 2>/dev/null && break; done)
COMPAT_SDKS   ?= "openai==1.40.0" "httpx<0.28" "anthropic==$(OLDEST_ANTHROPIC)"
OLDEST_ANTHROPIC ?= 0.43.0
OLDEST_GENAI  ?= 1.20.0
OLDEST_BOTOCORE ?= 1.34.116
COMPAT_MORE_SDKS := "google-genai==$(OLDEST_GENAI)" "boto3==$(OLDEST_BOTOCORE)" "botocore==$(OLDEST_BOTOCORE)"
COMPAT_MORE_TESTS := tests/test_gemini.py tests/test_gemini_wiring.py tests/test_bedrock.py tests/test_bedrock_wiring.py
COMPAT_TESTS  := tests/test_openai_chat.py tests/test_openai_shapes.py tests/test_openai_stream_grid.py \
                 tests/test_openai_responses.py tests/test_openai_airline.py tests/test_anthropic.py \
                 tests/test_runs.py tests/test_failopen.py tests/test_privacy.py tests/test_public_api.py \
                 tests/test_stream_gc.py

test-compat: $(UV)
	UV_PYTHON_DOWNLOADS=never $(UV) venv --quiet --allow-existing --python "$(or $(COMPAT_PYTHON),$(PYTHON))" $(COMPAT)
	VIRTUAL_ENV=$(COMPAT) $(UV) pip install --quiet -e ".[cli]" $(COMPAT_SDKS) pytest pytest-asyncio packaging
	$(COMPAT)/bin/python -c 'import sys, openai, anthropic; print("compat:", sys.version.split()[0], "openai", openai.__version__, "anthropic", anthropic.__version__)'
	$(COMPAT)/bin/python -m pytest -p no:cacheprovider $(COMPAT_TESTS)
	VIRTUAL_ENV=$(COMPAT) $(UV) pip install --quiet $(COMPAT_MORE_SDKS)
	# google-genai before 1.27 has no close(): the connections of its clients are left to the GC.
	$(COMPAT)/bin/python -m pytest -p no:cacheprovider -W ignore::ResourceWarning \
		-W ignore::pytest.PytestUnraisableExceptionWarning $(COMPAT_MORE_TESTS)

# The benchmarks run in their own venv with the peer instrumentations (never in uv.lock).
BENCH := .venv-bench

$(BENCH)/installed: $(UV) benchmarks/requirements.txt pyproject.toml
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(BENCH)
	VIRTUAL_ENV=$(BENCH) $(UV) pip install --quiet -r benchmarks/requirements.txt
	@touch $@

bench: $(BENCH)/installed
	$(BENCH)/bin/python -m benchmarks.overhead $(BENCH_ARGS)
	$(BENCH)/bin/python -m benchmarks.overhead --scenarios openai-chat-stream,openai-chat-stream-250 \
		--variants bare,agentwrap,spans-only,otel-openai-v2 --transports inproc --reps 12 --calls 20 \
		--out benchmarks/results/per_chunk --silent
	$(BENCH)/bin/python -m benchmarks.memory $(BENCH_ARGS)
	$(BENCH)/bin/python -m benchmarks.startup
	$(BENCH)/bin/python -m benchmarks.growth

clean:
	rm -rf $(VENV) $(BENCH) $(COMPAT) $(TOOLS) build dist *.egg-info
