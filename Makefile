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
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/seamscan check fixtures/demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

# Regenerates the committed fixtures with real instrumentation (dev dependencies only).
fixtures: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,fixtures]'
	$(BIN)/python fixtures/generate_demo.py

clean:
	rm -rf $(VENV) build *.egg-info
