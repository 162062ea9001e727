# Anju: the two commands are `make run` and `make test`. Both install what is missing first and
# take seconds when everything is in place. See README.md.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
# One venv, two package sets: the runtime set (requirements.txt, for `make run` and production) and
# the development set (requirements-dev.txt = runtime + tests + linters, for `make test`/`lint`).
# Each has its own stamp, so each reinstalls only when its file changes.
STAMP := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.installed-dev-stamp
# WeasyPrint (Pango), Chinese fonts, fast font subsetting, pdftotext/pdffonts for PDF tests.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk libharfbuzz-subset0 poppler-utils
# wrk, the HTTP load generator of benchmarks/load.py (month-end load; `make bench-deps`).
BENCH_SYSTEM_PACKAGES := wrk
# Playwright drives Debian's /usr/bin/chromium (no browser download); gettext checks the translations;
# postgresql-client (pg_dump, pg_restore) runs the restore drill (scripts/restore-drill.sh); wrk runs
# the load benchmark's request script in tests/test_benchmark_load.py.
TEST_SYSTEM_PACKAGES := chromium gettext postgresql-client $(BENCH_SYSTEM_PACKAGES)
PORT ?= 8000
export PORT

.PHONY: help install install-dev test-deps bench-deps system-deps run test check lint format

help:
	@echo "make run        install, migrate, load demo data into an empty database, serve on http://127.0.0.1:$(PORT) with a worker"
	@echo "make test       install (with Chromium), checks, the whole test suite on SQLite and then PostgreSQL"
	@echo "make lint       ruff check + ruff format --check + mypy"
	@echo "make format     ruff format + ruff check --fix"
	@echo "make bench-deps install what the benchmarks need (wrk for benchmarks/load.py)"

install: system-deps $(STAMP)

install-dev: install $(DEV_STAMP)

system-deps:
	@scripts/install-system-deps.sh $(SYSTEM_PACKAGES)

$(PY):
	python3 -m venv $(VENV)

# Reinstalls only when requirements.txt is newer than the stamp.
$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	@touch $@

# The development set on top of the runtime one: again when either file changes.
$(DEV_STAMP): requirements-dev.txt $(STAMP) | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	@touch $@

test-deps: install-dev
	@scripts/install-system-deps.sh $(TEST_SYSTEM_PACKAGES)

bench-deps: install-dev
	@scripts/install-system-deps.sh $(BENCH_SYSTEM_PACKAGES)

run: install
	@scripts/run-dev.sh

check: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

test: test-deps check
	@scripts/run-tests.sh

# mypy reads its files and settings from pyproject.toml ([tool.mypy]).
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
