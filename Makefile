# Kehu — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test test-only install messages lint bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed messages

# Compiled translations are build output: made from the .po files, never committed.
messages: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d kehu/locale -D django

# The task worker (large customer imports) runs beside the web server and stops with it (Ctrl-C).
run: install
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py demo --if-empty
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py db_worker --no-reload -v 0 & worker=$$!; \
	  $(PY) manage.py runserver $(HOST):$(PORT)

test: install
	@{ command -v chromium >/dev/null && ldconfig -p | grep -q libpangoft2-1.0; } || \
	  { [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0) >/dev/null; } || \
	  echo "chromium or Pango is not installed and cannot be installed here: browser and PDF tests will fail"
	$(MAKE) test-only

test-only:
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check kehu config

# The scale benchmarks (docs/benchmarks.md). Each runs on SQLite in a scratch file and, when
# BENCH_DATABASE_URL names a PostgreSQL server, on a scratch database created there and dropped.
#   make bench                                         cards + export at the default sizes
#   make bench BENCH_CUSTOMERS=100000 BENCH_PG_CUSTOMERS=1000000 BENCH_DATABASE_URL=postgres://…
#   make bench-cards BENCH_ARGS="--repeat 50"          one benchmark, any option of its script
# Another benchmark joins by adding its target to BENCH_TARGETS (BENCH_TARGETS += bench-xyz).
BENCH_CUSTOMERS ?= 20000
BENCH_PG_CUSTOMERS ?= $(BENCH_CUSTOMERS)
BENCH_EXPORT_CUSTOMERS ?= $(BENCH_CUSTOMERS)
BENCH_PG_EXPORT_CUSTOMERS ?= $(BENCH_PG_CUSTOMERS)
BENCH_ARGS ?=
BENCH_ROUTING_ARGS ?=
BENCH_DATABASE_URL ?=
BENCH_TARGETS ?= bench-cards bench-export bench-import
# Import: a generated .xlsx through Kehu's import and through django-import-export (the baseline,
# on its first BENCH_IMPORT_BASELINE_ROWS rows: it is slow).
BENCH_IMPORT_ROWS ?= 100000
BENCH_IMPORT_BASELINE_ROWS ?= 5000

.PHONY: bench-cards bench-export bench-import
bench: install
	$(MAKE) --no-print-directory $(BENCH_TARGETS)

bench-cards: install
	$(PY) bench/bench_cards.py --customers $(BENCH_CUSTOMERS) $(BENCH_ARGS) \
	  --out bench/out/cards-sqlite-$(BENCH_CUSTOMERS).json
ifneq ($(strip $(BENCH_DATABASE_URL)),)
	@echo "$(PY) bench/bench_cards.py --customers $(BENCH_PG_CUSTOMERS) $(BENCH_ARGS) --database-url \$$BENCH_DATABASE_URL ..."
	@$(PY) bench/bench_cards.py --customers $(BENCH_PG_CUSTOMERS) $(BENCH_ARGS) --database-url '$(BENCH_DATABASE_URL)' \
	  --out bench/out/cards-postgresql-$(BENCH_PG_CUSTOMERS).json
endif

bench-export: install
	$(PY) bench/bench_export.py --customers $(BENCH_EXPORT_CUSTOMERS) \
	  --out bench/out/export-sqlite-$(BENCH_EXPORT_CUSTOMERS).json
ifneq ($(strip $(BENCH_DATABASE_URL)),)
	@echo "$(PY) bench/bench_export.py --customers $(BENCH_PG_EXPORT_CUSTOMERS) --database-url \$$BENCH_DATABASE_URL ..."
	@$(PY) bench/bench_export.py --customers $(BENCH_PG_EXPORT_CUSTOMERS) --database-url '$(BENCH_DATABASE_URL)' \
	  --out bench/out/export-postgresql-$(BENCH_PG_EXPORT_CUSTOMERS).json
endif

bench-import: install
	$(PY) bench/bench_import.py --rows $(BENCH_IMPORT_ROWS) --baseline-rows $(BENCH_IMPORT_BASELINE_ROWS) \
	  --out bench/out/import-sqlite-$(BENCH_IMPORT_ROWS).json
ifneq ($(strip $(BENCH_DATABASE_URL)),)
	@$(PY) bench/bench_import.py --rows $(BENCH_IMPORT_ROWS) --baseline-rows $(BENCH_IMPORT_BASELINE_ROWS) \
	  --database-url '$(BENCH_DATABASE_URL)' --out bench/out/import-postgresql-$(BENCH_IMPORT_ROWS).json
endif

# Sales (issue 4): BENCH_SALES_LINES order lines over three years for the cards, on SQLite and, with
# BENCH_DATABASE_URL, on PostgreSQL (the issue's sizes: 1M lines on SQLite, 10M for 1M cards on PostgreSQL).
BENCH_SALES_CUSTOMERS ?= $(BENCH_CUSTOMERS)
BENCH_SALES_LINES ?= 200000
BENCH_PG_SALES_CUSTOMERS ?= $(BENCH_PG_CUSTOMERS)
BENCH_PG_SALES_LINES ?= $(BENCH_SALES_LINES)
BENCH_TARGETS += bench-sales

.PHONY: bench-sales
bench-sales: install
	$(PY) bench/bench_sales.py --customers $(BENCH_SALES_CUSTOMERS) --lines $(BENCH_SALES_LINES) $(BENCH_ARGS) \
	  --out bench/out/sales-sqlite-$(BENCH_SALES_LINES).json
ifneq ($(strip $(BENCH_DATABASE_URL)),)
	@echo "$(PY) bench/bench_sales.py --customers $(BENCH_PG_SALES_CUSTOMERS) --lines $(BENCH_PG_SALES_LINES) $(BENCH_ARGS) --database-url \$$BENCH_DATABASE_URL ..."
	@$(PY) bench/bench_sales.py --customers $(BENCH_PG_SALES_CUSTOMERS) --lines $(BENCH_PG_SALES_LINES) $(BENCH_ARGS) \
	  --database-url '$(BENCH_DATABASE_URL)' --out bench/out/sales-postgresql-$(BENCH_PG_SALES_LINES).json
endif

# Routing (issue 5): kehu.field.routing.solve() on TSPLIB (2 s each) and Solomon (5 s each) against
# their best known solutions, and on generated rep days (30 stops, 1 s) and weeks (5 × 12 of 60).
# The instances come from KEHU_BENCH_DATA (default ../shared/bench-data beside the project).
BENCH_TARGETS += bench-routing

.PHONY: bench-routing
bench-routing: install
	$(PY) bench/bench_routing.py $(BENCH_ROUTING_ARGS) --out bench/out/routing.json

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
