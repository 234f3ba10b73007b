# The two commands a newcomer needs: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The embedded default: SQLite under var/, a file-system Celery broker, DEBUG on for local use.
RUN_ENV := DEBUG=$${DEBUG:-true}

.PHONY: run test lint format check migrations schema install install-dev clean frontend

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## frontend: the GOV.UK Design System assets (govuk-frontend, pinned in package-lock.json) built into static/govuk/
static/govuk/govuk-frontend.min.css: package-lock.json frontend/govuk.scss scripts/build-govuk.mjs
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build
frontend: static/govuk/govuk-frontend.min.css

## run: install, migrate, load demo data and users, then serve web + Celery worker + beat on :$(PORT)
run: install frontend
	mkdir -p var/broker/processed var/cache var/media  # the embedded file-system broker and cache live here
	$(RUN_ENV) $(PY) manage.py migrate --no-input
	$(RUN_ENV) $(PY) manage.py seed_demo
	$(RUN_ENV) $(PY) manage.py collectstatic --no-input --verbosity 0
	@echo "Serving on http://127.0.0.1:$(PORT)/ (Ctrl-C stops web, worker and beat)"
	trap 'kill 0' INT TERM EXIT; \
	$(RUN_ENV) $(VENV)/bin/celery -A careleavers worker --loglevel=warning --concurrency=2 & \
	$(RUN_ENV) $(VENV)/bin/celery -A careleavers beat --loglevel=warning & \
	$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

## test: install what the tests need, then run the whole suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
test: install-dev frontend
	$(PY) -m pytest $(or $(PYTEST_ARGS),-n auto)  # PYTEST_ARGS="-n 0": in one process

## lint: ruff lint and format check, and no model change without a migration
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	SECRET_KEY=lint $(PY) manage.py makemigrations --check --dry-run
	SECRET_KEY=lint $(PY) manage.py spectacular --validate --fail-on-warn 2>/dev/null | diff -u docs/openapi.yaml - \
		|| (echo "docs/openapi.yaml differs from the API: run 'make schema' if the change is intended" && exit 1)

## schema: regenerate the committed OpenAPI contract docs/openapi.yaml (review the diff before committing)
schema: install
	SECRET_KEY=schema $(PY) manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf var staticfiles static/govuk node_modules
