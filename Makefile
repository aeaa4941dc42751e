# newsroom: local development and the test pipeline.
#
#   make run                      set up, migrate, seed demo content, serve on http://127.0.0.1:8000/
#   make run PORT=8123 HOST=0.0.0.0
#   make test                     ruff, Django checks, then pytest on SQLite and on PostgreSQL 15
#
# Works on a fresh Debian 12 with Python 3.11, make and apt: missing system packages (Node.js/npm, chromium,
# PostgreSQL 15) are installed with apt-get, which needs root (or sudo).

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   ?= .venv
PORT   ?= 8000
HOST   ?= 127.0.0.1
PYTEST_ARGS ?=

BIN    := $(VENV)/bin
PY     := $(BIN)/python
MANAGE := $(PY) manage.py
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_GET := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get

# Stamp files: reinstall only when the pinned lists change.
PY_STAMP   := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

# Environment of every test stage: production-like settings (DEBUG off), never the developer's database.
TEST_ENV := env -u DJANGO_DEBUG -u DATABASE_URL \
	DJANGO_SECRET_KEY=test-only-secret-key-not-for-any-deployment \
	DJANGO_ALLOW_ASYNC_UNSAFE=true

SHELL := /bin/bash
export TIMEFORMAT := --- %1Rs

.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
.PHONY: help setup run test bench clean npm test-browser-deps \
	test-ruff-check test-ruff-format test-django-check test-migrations test-sqlite test-postgres

help: ## list the targets
	@echo "Targets (variables: PORT=$(PORT) HOST=$(HOST) PYTHON=$(PYTHON) VENV=$(VENV) PYTEST_ARGS=...):"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /\1\t/' | \
		awk -F'\t' '{ printf "  make %-8s %s\n", $$1, $$2 }'

# --- setup -------------------------------------------------------------------------------------------------

$(PY):
	@if ! "$(PYTHON)" -c 'import ensurepip, venv' 2>/dev/null; then \
		echo "$(PYTHON) has no venv/ensurepip: installing Debian's python3-venv"; \
		$(APT_GET) update && $(APT_GET) install -y python3-venv; \
	fi
	"$(PYTHON)" -m venv $(VENV) || { rm -rf $(VENV); exit 1; }

$(PY_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -r requirements.txt
	touch $@

npm:
	@command -v npm >/dev/null 2>&1 || { \
		echo "npm not found: installing Debian's nodejs and npm"; \
		$(APT_GET) update && $(APT_GET) install -y nodejs npm; \
	}

$(NODE_STAMP): package-lock.json package.json | npm
	npm ci --no-audit --no-fund
	touch $@

setup: $(PY_STAMP) $(NODE_STAMP) ## create .venv, install requirements.txt and the npm packages (when changed)

# --- local development -------------------------------------------------------------------------------------

run: export DJANGO_DEBUG = true
run: setup ## migrate, seed demo content and serve on HOST:PORT with DEBUG on
	$(MANAGE) migrate
	$(MANAGE) seed_demo_content
	$(MANAGE) runserver $(HOST):$(PORT)

bench: setup ## run bench/run.sh (if there are benchmarks)
	@if [ -f bench/run.sh ]; then PATH="$(abspath $(BIN)):$$PATH" bash bench/run.sh; else echo "no benchmarks yet"; fi

clean: ## remove the local SQLite database, media/ and staticfiles/
	rm -rf db.sqlite3 db.sqlite3-journal media staticfiles

# --- tests -------------------------------------------------------------------------------------------------

test-browser-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then \
		echo "installing Debian's chromium and fonts-wqy-microhei for the browser tests"; \
		$(APT_GET) update && $(APT_GET) install -y chromium fonts-wqy-microhei; \
	fi

# Every stage runs (make -k) so one report shows all failures; the exit status is non-zero if any failed.
test: setup test-browser-deps ## ruff, manage.py check, makemigrations --check, pytest on SQLite and PostgreSQL 15
	@$(MAKE) --no-print-directory -k test-ruff-check test-ruff-format test-django-check test-migrations \
		test-sqlite test-postgres && echo "=== make test: all stages passed ==="

test-ruff-check:
	@echo "=== ruff check ==="
	time $(BIN)/ruff check .

test-ruff-format:
	@echo "=== ruff format --check ==="
	time $(BIN)/ruff format --check .

test-django-check:
	@echo "=== manage.py check ==="
	time $(TEST_ENV) $(MANAGE) check

test-migrations:
	@echo "=== manage.py makemigrations --check --dry-run ==="
	time $(TEST_ENV) $(MANAGE) makemigrations --check --dry-run

test-sqlite:
	@echo "=== pytest on SQLite ==="
	time $(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

test-postgres:
	time $(TEST_ENV) .ci/with_postgres.sh sh -c \
		'echo "=== pytest on PostgreSQL 15 ($$PGHOST:$$PGPORT) ==="; exec "$$@"' sh $(BIN)/pytest $(PYTEST_ARGS)
