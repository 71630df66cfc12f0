# Delegate: `make demo` serves the app with demo data; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app wsgi

.PHONY: demo test venv lint bench evaluate worker bench-pipeline bench-pages

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $@

demo: venv
	VENV=$(VENV) ./devtools/demo.sh

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

# Background jobs from Redis (needs REDIS_URL); without it jobs run inline after commit.
worker: venv
	$(FLASK) worker

# Post task -> matches stored + notifications queued, 100,000 assistants in PostgreSQL.
bench-pipeline: venv
	$(BIN)/python benchmarks/match_pipeline.py

# Requests per second of the most used pages beside hello world under the same gunicorn (4 workers,
# PostgreSQL, demo data; needs wrk). BENCH_PAGES_ARGS="--app-dir /tmp/main" measures another checkout.
bench-pages: venv
	$(BIN)/python benchmarks/page_speed.py $(BENCH_PAGES_ARGS)

# Matcher quality on O*NET (tune and held-out splits) beside TF-IDF and BM25.
evaluate: venv
	$(BIN)/python -m matching evaluate --pool both

# Matcher speed beside scipy, sparse_dot_topn and a naive loop, at three sizes.
bench: venv
	$(BIN)/python benchmarks/matching_benchmark.py --sizes 10000,100000,1000000
