# Delegate: `make demo` serves the app with demo data; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app wsgi

.PHONY: demo test test-sqlite test-postgres venv lint bench evaluate

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $@

demo: venv
	$(FLASK) db upgrade
	$(FLASK) demo load
	@echo "Delegate is starting on http://127.0.0.1:5000"
	DEMO_MODE=1 $(FLASK) run --host 127.0.0.1 --port 5000

# The whole suite on SQLite, then again on PostgreSQL when TEST_DATABASE_URL is set.
test: venv
	env -u TEST_DATABASE_URL $(BIN)/pytest
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL: $$TEST_DATABASE_URL"; \
		$(BIN)/pytest; \
	else \
		echo "(set TEST_DATABASE_URL=postgresql://... to run the suite on PostgreSQL too)"; \
	fi

lint: venv
	$(BIN)/ruff check marketplace matching tests benchmarks devtools
