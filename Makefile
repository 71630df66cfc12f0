# Delegate: `make demo` serves the app with demo data; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app wsgi
# Everything the test suite exercises; the lock pins each package to an exact version.
EXTRAS := dev,bench,embeddings
LOCK := requirements.lock
comma := ,
# torch's CPU build: 183 MB instead of several GB of CUDA libraries nobody here uses. pip takes
# it from local wheels when it has them (its find-links), else from PyTorch's CPU index; either
# way the file must match one of the lock's hashes for it.
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu
TORCH_VERSION ?= 2.13.0+cpu
# Where `make lock` reads torch's files (and so their hashes): PyTorch's CPU page, or a directory.
TORCH_FIND_LINKS ?= $(TORCH_CPU_INDEX)/torch/
# Where `make lock` reads every other package: PyPI, never a machine's own pip configuration.
LOCK_INDEX_URL ?= https://pypi.org/simple
UV_VERSION := 0.13.8
# More options for uv pip compile, e.g. LOCK_ARGS='-c old-pins.txt' to keep versions and renew hashes.
LOCK_ARGS ?=

.PHONY: demo test venv lock lint bench evaluate worker bench-pipeline bench-pages bench-load

venv: $(STAMP)

define install_torch
	$(1) -m pip install --quiet --no-deps --require-hashes --no-index -r $(2) 2>/dev/null || \
		$(1) -m pip install --quiet --no-deps --require-hashes --index-url $(TORCH_CPU_INDEX) -r $(2)
endef

# Every file pip installs must match a sha256 in the lock (--require-hashes), so a wheel changed
# on an index or a mirror fails the install; then the project itself, with nothing more.
$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "requirements.lock holds the torch wheel hash for CPython 3.11 only: set PYTHON=python3.11 (or redo make lock where PyTorch'"'"'s index answers)")'
	$(PYTHON) -m venv $(VENV)
	awk '/^torch==/ {p = 1} p {print} p && !/\\$$/ {exit}' $(LOCK) > $(VENV)/torch.lock
	$(call install_torch,$(BIN)/python,$(VENV)/torch.lock)
	$(PIP) install --quiet --require-hashes -r $(LOCK)
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	$(PIP) check
	@touch $@

# Re-resolve every dependency to its newest allowed release and pin each with the sha256 of every
# file PyPI (PyTorch's CPU page for torch) has for that version, for any platform, with uv's
# resolver (uv pip compile --universal --generate-hashes) from a scratch venv.
LOCK_VENV := $(VENV)-lock
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet uv==$(UV_VERSION)
	printf 'pip\nsetuptools>=68\ntorch==$(TORCH_VERSION)\n' > $(LOCK_VENV)/tools.in
	awk '!/^#/ {exit} {print}' $(LOCK) > $(LOCK).new
	$(LOCK_VENV)/bin/uv pip compile pyproject.toml $(LOCK_VENV)/tools.in \
		$(foreach extra,$(subst $(comma), ,$(EXTRAS)),--extra $(extra)) \
		--universal --python-version 3.11 --generate-hashes --no-header --no-annotate --no-cache \
		--index-url $(LOCK_INDEX_URL) --find-links $(TORCH_FIND_LINKS) --quiet $(LOCK_ARGS) >> $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf $(LOCK_VENV)
	@echo "$(LOCK) regenerated; review the diff, commit it, and run make test."

demo: venv
	VENV=$(VENV) ./devtools/demo.sh

# The tests that read the clock most: emails and digests, time labels, limits and windows,
# sessions and links, money deadlines.
CLOCK_TESTS := tests/test_clock.py tests/notifications tests/matches tests/accounts tests/tasks \
	tests/hiring tests/payments

# The whole suite on SQLite at the real time, then on PostgreSQL (when TEST_DATABASE_URL is set)
# as if it were 23:59 UTC in Manila (less tests/multihost, which brings its own PostgreSQL and
# runs once); then the clock's tests again at 00:30 UTC in Los Angeles
# and 08:59 UTC in London. No test may depend on the hour, the day or the machine's zone
# (tests/clock.py travels the whole session and lets it tick).
# Each pass runs in parallel (pytest-xdist, a process per core; each worker has its own
# PostgreSQL and Redis database, see tests/conftest.py). The SQLite pass measures branch
# coverage of marketplace/ and matching/ and fails under the floor in pyproject.toml.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile
test: venv lint
	env -u TEST_DATABASE_URL $(PYTEST) --cov --cov-report=term:skip-covered
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL, at 23:59 UTC in Asia/Manila: $$TEST_DATABASE_URL"; \
		DELEGATE_TEST_UTC=23:59 TZ=Asia/Manila $(PYTEST) --ignore=tests/multihost; \
	else \
		echo "(set TEST_DATABASE_URL=postgresql://... to run the suite on PostgreSQL too)"; \
	fi
	@echo "== the clock's tests at 00:30 UTC in America/Los_Angeles, then 08:59 UTC in Europe/London"
	env -u TEST_DATABASE_URL DELEGATE_TEST_UTC=00:30 TZ=America/Los_Angeles $(PYTEST) -q $(CLOCK_TESTS)
	env -u TEST_DATABASE_URL DELEGATE_TEST_UTC=08:59 TZ=Europe/London $(PYTEST) -q $(CLOCK_TESTS)

# Lint, format and types: the same checks .pre-commit-config.yaml runs on each commit.
lint: venv
	$(BIN)/ruff check marketplace matching tests benchmarks devtools
	$(BIN)/ruff format --check marketplace matching tests benchmarks devtools
	$(BIN)/mypy

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

# Issue 14's load test: 100,000 assistants and 10,000 tasks on PostgreSQL, 50 connections.
bench-load: venv
	$(BIN)/python benchmarks/load_test.py $(BENCH_LOAD_ARGS)

# Matcher quality on O*NET (tune and held-out splits) beside TF-IDF and BM25.
evaluate: venv
	$(BIN)/python -m matching evaluate --pool both

# Matcher speed beside scipy, sparse_dot_topn and a naive loop, at three sizes.
bench: venv
	$(BIN)/python benchmarks/matching_benchmark.py --sizes 10000,100000,1000000
