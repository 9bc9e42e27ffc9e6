# Aizuchi — two commands for a newcomer: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := run

VENV    := .venv
PY      := $(VENV)/bin/python
MANAGE  := $(PY) manage.py
STAMP   := $(VENV)/.installed-$(shell sha1sum requirements.lock | cut -c1-12)
NODE_STAMP := node_modules/.installed-$(shell cat package.json package-lock.json | sha1sum | cut -c1-12)
HOST    ?= 127.0.0.1
PORT    ?= 8000
WORKERS ?= 1
# The meter runs in the ASGI lifespan; chat frames are small JSON, and per-message deflate
# cost CPU and a zlib context per socket for nothing (bench/live_chat.py).
UVICORN_FLAGS := --lifespan on --ws-per-message-deflate false

.PHONY: run test setup lint lint-checks format messages lock serve worker scheduler bench clean test-unit test-browser screenshots

## Set up everything (virtualenv, Python and npm packages). Idempotent and quick when done.
setup: $(STAMP) $(NODE_STAMP)

$(PY):
	@py=$$(scripts/find-python) || exit 1; echo "Using $$py"; "$$py" -m venv $(VENV)

$(STAMP): requirements.lock | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	@rm -f $(VENV)/.installed-*; touch $@

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "Node.js and npm are needed for the front-end assets (apt-get install nodejs npm)."; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@rm -f node_modules/.installed-*; touch $@

## Run the app on its embedded default (SQLite, in-process channel layer) at http://$(HOST):$(PORT)
run: setup
	@mkdir -p var
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo --if-empty
	@echo "Aizuchi: http://$(HOST):$(PORT)/"
	@# The scheduler (periodic jobs such as ranks, docs/operations.md) runs beside the server;
	@# Ctrl-C stops the server, and the EXIT trap stops the scheduler with it.
	@export DJANGO_SETTINGS_MODULE=config.settings.dev; \
	$(MANAGE) run_scheduler & scheduler=$$!; \
	trap 'kill -TERM $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	$(VENV)/bin/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --workers $(WORKERS) $(UVICORN_FLAGS)

## The scaled setup: several server processes (needs DATABASE_URL and REDIS_URL; see docs/operations.md)
serve: setup
	$(VENV)/bin/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --workers $(WORKERS) $(UVICORN_FLAGS) --proxy-headers

## The background task worker for the scaled setup (AIZUCHI_TASKS_BACKEND=database)
worker: setup
	$(MANAGE) db_worker

## The periodic job scheduler for the scaled setup (safe to run on more than one machine)
scheduler: setup
	$(MANAGE) run_scheduler

## Everything a change must pass: lint (ruff, the layer contract, types), the unit/integration
## suite, the browser suite.
test: setup
	@scripts/ensure-system-deps
	@mkdir -p var
	$(MAKE) --no-print-directory lint-checks
	$(MAKE) --no-print-directory test-unit
	$(MAKE) --no-print-directory test-browser

test-unit:
	$(VENV)/bin/pytest -m "not browser" $(PYTEST_ARGS)

# Browser tests run in their own pytest process (Playwright's sync API and pytest-asyncio do
# not share a process) inside a network namespace that has only loopback.
test-browser:
	scripts/loopback-only $(VENV)/bin/pytest -m browser $(PYTEST_ARGS)

lint: setup
	$(MAKE) --no-print-directory lint-checks

## The main pages on fresh demo data at 375 and 1200 px, into var/screenshots for review
## (README=1 also refreshes docs/screenshot.png, the README's picture)
screenshots: setup
	@scripts/ensure-system-deps
	scripts/loopback-only $(PY) scripts/screenshots.py $(if $(README),--readme)

# ruff; the layer order of docs/architecture.md (import-linter, pyproject.toml); mypy with
# django-stubs over core and every app's services and selectors.
lint-checks:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Extract and compile translations (needs gettext). The compiled .mo is committed.
messages: setup
	$(MANAGE) makemessages -l ja --no-obsolete --ignore=node_modules --ignore=.venv --ignore=var
	$(MANAGE) compilemessages -l ja --ignore=.venv --ignore=node_modules

## Re-resolve the pinned Python dependencies after editing pyproject.toml
lock: | $(PY)
	$(PY) -m pip install --quiet pip-tools==7.6.2
	$(VENV)/bin/pip-compile --quiet --extra dev --generate-hashes --strip-extras --allow-unsafe -o requirements.lock pyproject.toml

## Benchmarks: demo seeding speed, search/listing latency, the rank job, the billing ledger
## (charges per second, the balance of a 1,000,000-posting account), bookings (slots over a
## year, contention), live chat under load (2,000 sessions; one process, two over Redis) and
## direct messages (a provider with 10,000 threads and 1,000,000 messages; sends through the server)
bench: setup
	$(PY) bench/seed_demo.py
	$(PY) bench/search.py $(BENCH_ARGS)
	$(PY) bench/ranks_recompute.py
	$(PY) bench/ranks_recompute.py --database-url postgres://postgres@127.0.0.1:5432/postgres
	$(PY) bench/billing.py
	$(PY) bench/billing.py --database-url postgres://postgres@127.0.0.1:5432/postgres
	$(PY) bench/booking.py
	$(PY) bench/booking.py --database-url postgres://postgres@127.0.0.1:5432/postgres
	$(PY) bench/live_chat.py
	$(PY) bench/live_chat.py --database-url postgres://postgres@127.0.0.1:5432/postgres --redis
	$(PY) bench/messaging.py
	$(PY) bench/messaging.py --database-url postgres://postgres@127.0.0.1:5432/postgres

clean:
	rm -rf $(VENV) node_modules var
