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

run: install
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py demo --if-empty
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	@command -v chromium >/dev/null || command -v /usr/bin/chromium >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk) >/dev/null; } || \
	  echo "chromium is not installed and cannot be installed here: browser tests will fail"
	$(MAKE) test-only

test-only:
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check kehu config

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
