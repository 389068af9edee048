# Every target bootstraps its own virtual environment: a fresh machine needs only Python.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench fixtures clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@echo "compiling the OTLP wire scanner (numba, once per install)..."
	$(BIN)/python -m analyzer.ingest.otlp.scanned
	touch $(STAMP)

# The demo holds real incidents: it shows them and still exits 0.
demo: $(STAMP)
	$(BIN)/seamscan check --exit-zero fixtures/demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Each figure beside its floor or target, measured in the same run (SPEC 9).
bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/rules.py
	$(BIN)/python bench/check_small.py
	$(BIN)/python bench/tui.py --skip-rules

# Regenerates the committed fixtures with real instrumentation (dev dependencies only).
fixtures: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,fixtures]'
	$(BIN)/python fixtures/generate_demo.py
	$(BIN)/python fixtures/generate_openai_agents.py
	$(BIN)/python fixtures/generate_multisource.py
	$(BIN)/python fixtures/generate_conventions.py
	for script in fixtures/rules/generate_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
