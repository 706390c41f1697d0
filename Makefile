# SOMS — the two set-up commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.9.30
PG_URL ?= postgres://postgres@127.0.0.1:5432/soms
HOST ?= 127.0.0.1
PORT ?= 8000
# Two workers on a two-core machine; override with `make test WORKERS=0` to debug serially.
WORKERS ?= 2
export DJANGO_SETTINGS_MODULE := soms.settings

.PHONY: run test check lint bench install assets browser messages screenshot clean

$(VENV)/.installed: pyproject.toml uv.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	UV_PROJECT_ENVIRONMENT=$(VENV) $(VENV)/bin/uv sync --frozen --inexact --quiet
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed
	@$(PY) -m soms.core.i18n --compile

## The product on http://127.0.0.1:8000 with reference and demo data (embedded SQLite).
run: install
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py load_reference
	$(PY) manage.py demo
	@echo ""
	@echo "SOMS is serving on http://$(HOST):$(PORT)/  (stop with Ctrl-C)"
	$(PY) manage.py runserver $(HOST):$(PORT)

## Debian's chromium (browser tests) and the CJK fonts it renders Chinese with.
browser:
	@if ! command -v chromium >/dev/null || ! command -v pdftotext >/dev/null || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk poppler-utils >/dev/null; \
	  else \
	    echo "Browser and PDF tests need Debian's chromium, fonts-noto-cjk and poppler-utils: sudo apt-get install chromium fonts-noto-cjk poppler-utils"; exit 1; \
	  fi; \
	fi

## The whole suite: SQLite, then PostgreSQL when TEST_POSTGRES=1 or a server answers on 5432.
## With both, a test that gains nothing from running twice runs once: browser flows and parser
## properties on SQLite (the demo's database), the authorization matrix on PostgreSQL
## (production's); without PostgreSQL, SQLite runs everything.
PG_ANSWERS = $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null
test: install browser
	@rm -f .coverage .coverage.*
	@if [ "$(TEST_POSTGRES)" = 1 ] && ! $(PG_ANSWERS); then \
	  echo "TEST_POSTGRES=1 but no PostgreSQL answers at 127.0.0.1:5432"; exit 1; fi
	@echo "== test suite on SQLite =="
	@if $(PG_ANSWERS); then only='not production'; else only=''; fi; \
	DATABASE_URL=sqlite:///$(CURDIR)/var/test.sqlite3 $(PY) -m pytest -n $(WORKERS) -m "$$only" \
	  --cov --cov-report=term:skip-covered --cov-fail-under=85 -q
	@if $(PG_ANSWERS); then \
	  echo "== test suite on PostgreSQL =="; \
	  DATABASE_URL=$(PG_URL) $(PY) -m pytest -n $(WORKERS) -q -m "not embedded" || exit 1; \
	  if [ "$$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null; then \
	    echo "== faults: PostgreSQL restarted during a burst (alone) =="; \
	    SOMS_FAULT_TESTS=1 DATABASE_URL=$(PG_URL) $(PY) -m pytest -p no:xdist -q soms/review/tests/test_faults.py; \
	  else echo "(not root or no pg_ctlcluster: the restart test is skipped)"; fi; \
	else echo "(no PostgreSQL at 127.0.0.1:5432: PostgreSQL run skipped)"; fi

## Static checks: lint, format, types, Django's checks, migrations in step with models,
## complete translations.
lint: install
	$(VENV)/bin/ruff check soms benchmarks conftest.py
	$(VENV)/bin/ruff format --check soms benchmarks conftest.py
	$(VENV)/bin/mypy soms
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m soms.core.i18n

## Quality gates: the static checks and the whole suite with its coverage floor.
check: lint test

## Benchmarks (speed and memory are measured here, never by timed tests).
## The statistics engine at national scale needs PostgreSQL on 127.0.0.1:5432 (database
## soms_bench, recreated): `make bench SCALE=0.05` for a quick run, SCALE=1 (the default) takes
## about 40 minutes on 2 cores. Results: benchmarks/results/national-<scale>.json.
SCALE ?= 1
## Executions imported with full validation against COPY and against the schema's own floor
## (benchmarks/imports.py); a million rows take about 5 minutes: `make bench IMPORT_ROWS=20000`
## for a quick run. Results: benchmarks/results/imports-<rows>.json.
IMPORT_ROWS ?= 1000000
## The malformed-file corpus and a 100 MB file of refused rows, each refused by `soms import` in
## a process of its own: the error and the peak memory (benchmarks/results/malformed.json).
## The filing deadline under load (benchmarks/deadline.py): gunicorn in production settings on
## PostgreSQL, locust in its own process; `make bench LOAD_USERS=50` for a quick run.
LOAD_USERS ?= 200
LOAD_SECONDS ?= 120
bench: install
	DATABASE_URL=sqlite:///$(CURDIR)/var/bench.sqlite3 $(PY) -m pytest benchmarks -q -p no:xdist --no-cov -o testpaths=benchmarks
	$(PY) benchmarks/national.py --scale $(SCALE)
	$(PY) benchmarks/imports.py --rows $(IMPORT_ROWS)
	$(PY) benchmarks/malformed.py
	$(PY) benchmarks/deadline.py --users $(LOAD_USERS) --seconds $(LOAD_SECONDS)

## Refresh the Chinese catalogue after changing user-facing strings, then translate.
messages: install
	cd soms && ../$(PY) ../manage.py makemessages -l zh_Hans --no-obsolete --no-location -i "*/tests/*" -i "testing.py"
	$(PY) -m soms.core.i18n --compile

## docs/screenshot.png for the README (needs `make run` data in var/soms.sqlite3).
screenshot: install browser
	$(PY) -m soms.core.screenshot docs/screenshot.png

clean:
	rm -rf $(VENV) node_modules var .coverage .coverage.* test-artifacts
