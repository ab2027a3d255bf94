# PIAA: `make run` serves the demo on http://127.0.0.1:5000; `make test` runs the suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-postgres install system-deps migration clean lock audit docker-smoke translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# The versions CI and the image are tested with (requirements-test.lock: the service's and the
# tests' dependencies; requirements.lock: the service's, for the image). `make lock` renews them.
$(STAMP): $(BIN)/python pyproject.toml requirements-test.lock
	$(BIN)/pip install -q -c requirements-test.lock -e '.[test]'
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

LOCK_OPTIONS := --quiet --strip-extras --no-emit-index-url --no-emit-find-links
lock: $(BIN)/python
	$(BIN)/pip install -q 'pip-tools>=7.4'
	$(BIN)/pip-compile $(LOCK_OPTIONS) --output-file requirements.lock pyproject.toml
	$(BIN)/pip-compile $(LOCK_OPTIONS) --extra test --output-file requirements-test.lock pyproject.toml

# Known vulnerabilities of the locked versions; says "skipped" where no database can be reached.
audit: $(BIN)/python
	$(BIN)/pip install -q 'pip-audit>=2.7'
	$(BIN)/python scripts/dependency_audit.py requirements.lock requirements-test.lock

# Build the image and check that it serves (skipped where no Docker engine runs).
docker-smoke:
	./scripts/docker-smoke.sh

clean:
	rm -rf $(VENV) instance .pytest_cache

# The gettext catalogues under piaa/translations: extract the marked texts from the code and
# templates, update every language's .po with them, compile the .mo files the service reads.
# A new language: `$(BIN)/pybabel init -i piaa/translations/messages.pot -d piaa/translations -l ta`,
# translate its .po, then `make translations`.
BABEL_KEYWORDS := -k _l -k lazy_gettext -k N_
translations: $(BIN)/python
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-wrap --sort-by-file \
		-o piaa/translations/messages.pot piaa
	$(BIN)/pybabel update -i piaa/translations/messages.pot -d piaa/translations --no-wrap
	$(BIN)/python scripts/compile_translations.py
