# newsroom: local development and the test pipeline.
#
#   make run                      set up, migrate, seed demo content, serve on http://127.0.0.1:8000/
#   make run PORT=8123 HOST=0.0.0.0
#   make test                     ruff, bandit, Django checks, pytest on SQLite and on PostgreSQL 15, cluster test
#   make bench / make loadtest    benchmarks (not part of make test)
#   make cluster / cluster-stop   the scaled-out layout on 127.0.0.1; make backup / restore / audit: operations
#
# Works on a fresh Debian 12 with Python 3.11, make and apt: missing system packages (Node.js/npm, chromium,
# PostgreSQL 15, redis-server, nginx-light, wrk) are installed with apt-get, which needs root (or sudo).

# Debian's own python3.11 first: what a Debian 12 server runs, built with profile-guided and link-time
# optimisation (rendering a page took 16% less CPU than with a Python 3.11 compiled without them, as pyenv does by
# default). Another interpreter: make setup PYTHON=/path/to/python3.11 (after removing .venv).
DEBIAN_PYTHON ?= /usr/bin/python3.11
PYTHON ?= $(firstword $(wildcard $(DEBIAN_PYTHON)) $(shell command -v python3.11 2>/dev/null || command -v python3))
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
.PHONY: help setup run test bench clean npm test-deps \
	test-ruff-check test-ruff-format test-django-check test-migrations test-sqlite test-postgres

help: ## list the targets
	@echo "Targets (variables: PORT=$(PORT) HOST=$(HOST) PYTHON=$(PYTHON) VENV=$(VENV) PYTEST_ARGS=...):"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /\1\t/' | \
		awk -F'\t' '{ printf "  make %-13s %s\n", $$1, $$2 }'

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
run: export NEWSROOM_TASKS ?= immediate
run: setup ## migrate, seed demo content and serve on HOST:PORT with DEBUG on
	$(MANAGE) migrate
	$(MANAGE) seed_demo_content
	$(MANAGE) runserver $(HOST):$(PORT)

# The HTTP benchmarks serve the site with gunicorn and nginx and load it with wrk (Debian packages).
.PHONY: loadtest bench-deps
bench-deps:
	@if ! command -v wrk >/dev/null 2>&1 || { ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; }; then \
		echo "installing Debian's wrk and nginx-light for the HTTP benchmarks"; \
		$(APT_GET) update && $(APT_GET) install -y wrk nginx-light; \
	fi

bench: setup bench-deps ## bench/run.sh: all benchmarks (BENCH_ONLY="pages" for one; BENCH_ARTICLES=100000)
	@if [ -f bench/run.sh ]; then PATH="$(abspath $(BIN)):$$PATH" bash bench/run.sh; else echo "no benchmarks yet"; fi

loadtest: setup bench-deps ## gunicorn + wrk at 64 connections while an editor edits (LOADTEST_SECONDS=60, LOADTEST_ARTICLES=5000)
	PATH="$(abspath $(BIN)):$$PATH" .ci/with_postgres.sh $(PY) bench/loadtest.py

# --- the scale-out layout on one machine (cluster/start.sh, cluster/stop.sh) ----------------------------------
CLUSTER_DIR ?= /tmp/newsroom-cluster
CLUSTER_ARGS ?=
.PHONY: cluster cluster-stop test-cluster

cluster: setup ## PostgreSQL primary + replica, Redis, S3 (moto), 2 gunicorn servers, nginx on 127.0.0.1 (CLUSTER_ARGS=--seed)
	cluster/start.sh --dir $(CLUSTER_DIR) $(CLUSTER_ARGS)

cluster-stop: ## stop everything `make cluster` started and delete its folder
	cluster/stop.sh --dir $(CLUSTER_DIR)

test-cluster: setup ## start a cluster, run tests/cluster/ against it, stop it (also when tests fail)
	@echo "=== cluster end-to-end tests ==="
	@dir=$$(mktemp -d /tmp/newsroom-cluster-test.XXXXXX) && rmdir "$$dir" && \
	trap 'cluster/stop.sh --dir "$$dir"' EXIT && \
	time cluster/start.sh --dir "$$dir" && \
	time $(TEST_ENV) NEWSROOM_CLUSTER="$$dir" $(BIN)/pytest tests/cluster

clean: ## remove the local SQLite database, media/ and staticfiles/
	rm -rf db.sqlite3 db.sqlite3-journal media staticfiles

# --- operations --------------------------------------------------------------------------------------------
# They act on the site the environment describes (DATABASE_URL, DJANGO_MEDIA_ROOT, DJANGO_SECRET_KEY or
# DJANGO_DEBUG=true): run them with the same environment as the site itself.

.PHONY: backup restore audit pg-client test-bandit
BACKUP_DIR ?= backups
AUDIT_VENV := .venv-audit

pg-client:
	@if [[ "$${DATABASE_URL:-}" == postgres* ]] && ! command -v pg_dump >/dev/null 2>&1 && \
		[ ! -x /usr/lib/postgresql/15/bin/pg_dump ]; then \
		echo "installing Debian's postgresql-client-15 for pg_dump/pg_restore"; \
		$(APT_GET) update && $(APT_GET) install -y --no-install-recommends postgresql-client-15; \
	fi

backup: $(PY_STAMP) pg-client ## database (pg_dump custom format, or SQLite backup) + tar of MEDIA_ROOT into BACKUP_DIR/<UTC time>/
	$(MANAGE) backup_site --output "$(BACKUP_DIR)"

restore: $(PY_STAMP) pg-client ## make restore BACKUP=backups/<time> [FORCE=1]: into an empty database and media folder
	@if [ -z "$(BACKUP)" ]; then echo "usage: make restore BACKUP=$(BACKUP_DIR)/<time> [FORCE=1]" >&2; exit 2; fi
	$(MANAGE) restore_site "$(BACKUP)" $(if $(filter 1 true yes,$(FORCE)),--force)

$(AUDIT_VENV)/.installed: requirements-audit.txt
	"$(PYTHON)" -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/python -m pip install --disable-pip-version-check -r requirements-audit.txt
	touch $@

# pip-audit exits 0 and prints "No known vulnerabilities found" when it cannot reach its vulnerability database
# (every package merely "skipped"): ops/pip_audit_gate.py reads its JSON report and fails unless every pinned
# package was really checked. npm audit fails by itself when its advisory endpoint cannot be reached.
audit: $(AUDIT_VENV)/.installed $(NODE_STAMP) ## pip-audit (requirements*.txt) and npm audit; "could not check" is a failure
	@status=0; report="$$(mktemp)"; \
	echo "=== pip-audit: requirements.txt, requirements-audit.txt ==="; \
	$(AUDIT_VENV)/bin/pip-audit -r requirements.txt -r requirements-audit.txt --no-deps --disable-pip \
		--progress-spinner off --format json --output "$$report" || true; \
	$(AUDIT_VENV)/bin/python ops/pip_audit_gate.py "$$report" || status=1; \
	rm -f "$$report"; \
	echo "=== npm audit ==="; \
	npm audit || status=1; \
	if [ $$status -ne 0 ]; then echo "=== make audit: FAILED (see above) ==="; else echo "=== make audit: clean ==="; fi; \
	exit $$status

# --- tests -------------------------------------------------------------------------------------------------

# Debian packages the tests use, installed with apt when missing: chromium and a CJK font (browser tests),
# redis-server (tests/test_cache.py starts its own), postgresql-15 (the PostgreSQL stage, and the fault and backup
# tests, which start their own cluster in both stages), nginx-light (the micro-cache test and the cluster stage).
TEST_PACKAGES := /usr/bin/chromium:chromium /usr/share/fonts/truetype/wqy/wqy-microhei.ttc:fonts-wqy-microhei \
	/usr/bin/redis-server:redis-server /usr/lib/postgresql/15/bin/initdb:postgresql-15 /usr/sbin/nginx:nginx-light

test-deps:
	@missing=""; for pair in $(TEST_PACKAGES); do \
		[ -e "$${pair%%:*}" ] || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian's$$missing for the tests"; \
		$(APT_GET) update && $(APT_GET) install -y $$missing; \
	fi

# Every stage runs (make -k) so one report shows all failures; the exit status is non-zero if any failed.
test: setup test-deps ## ruff, bandit, checks, pytest on SQLite and on PostgreSQL 15, then the cluster end-to-end test
	@$(MAKE) --no-print-directory -k test-ruff-check test-ruff-format test-bandit test-django-check test-migrations \
		test-sqlite test-postgres test-cluster && echo "=== make test: all stages passed ==="

test-ruff-check:
	@echo "=== ruff check ==="
	time $(BIN)/ruff check .

test-ruff-format:
	@echo "=== ruff format --check ==="
	time $(BIN)/ruff format --check .

# bandit over the application code; each accepted finding carries a `# nosec B...` with its reason beside it.
test-bandit:
	@echo "=== bandit (articles/, newsroom/) ==="
	time $(BIN)/bandit -q -r articles newsroom

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
