# PIAA: `make run` serves the demo on http://127.0.0.1:5000; `make test` runs the suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-postgres install system-deps migration clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

system-deps:
	./scripts/system-deps.sh

run: install system-deps
	$(BIN)/piaa db upgrade
	$(BIN)/piaa demo
	$(BIN)/piaa run --host 127.0.0.1 --port 5000

test: install system-deps
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-postgres: install system-deps
	PIAA_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test $(BIN)/python -m pytest -q $(PYTEST_ARGS)

migration: install
	$(BIN)/python scripts/regenerate_initial_migration.py

clean:
	rm -rf $(VENV) instance .pytest_cache
