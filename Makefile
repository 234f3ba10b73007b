# The two commands a newcomer needs: `make run` and `make test`. Everything else is a helper for them.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The Chromium the browser tests drive (tests/browser/conftest.py reads the same variable).
CHROMIUM_PATH ?= /usr/bin/chromium
export CHROMIUM_PATH
# The embedded default: SQLite under var/, a file-system Celery broker, DEBUG on for local use.
RUN_ENV := DEBUG=$${DEBUG:-true}
# The Procfile's processes under honcho, with the virtualenv's python and celery first on the PATH. `exec` makes
# honcho make's own child, so a SIGTERM to make reaches it; honcho passes a Ctrl-C or SIGTERM on to each process
# once and waits for them all to stop.
SERVE = exec env PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(RUN_ENV) $(VENV)/bin/honcho start --port $(PORT)
# Where the embedded file-system broker, the file cache and uploads live (and the SQLite file, in var/).
VAR_DIRS := var/broker/processed var/cache var/media

.PHONY: run serve test chromium lint format check migrations schema install install-dev clean frontend

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

## frontend: the GOV.UK Design System assets (govuk-frontend, pinned in package-lock.json) built into static/govuk/, Chart.js into static/chartjs/
static/govuk/govuk-frontend.min.css: package-lock.json frontend/govuk.scss scripts/build-govuk.mjs
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build
frontend: static/govuk/govuk-frontend.min.css

## run: install, migrate, load demo data and users, then serve web + Celery worker + beat on :$(PORT)
run: install frontend $(VAR_DIRS)
	$(RUN_ENV) $(PY) manage.py migrate --no-input
	$(RUN_ENV) $(PY) manage.py seed_demo
	$(RUN_ENV) $(PY) manage.py collectstatic --no-input --verbosity 0
	@echo "Serving on http://127.0.0.1:$(PORT)/ (Ctrl-C stops web, worker and beat)"
	$(SERVE)

## serve: only the last step of `make run`: the Procfile's web, worker and beat under honcho, until Ctrl-C
serve: $(VAR_DIRS)
	$(SERVE)

$(VAR_DIRS):
	mkdir -p $@

## test: install what the tests need, then run the whole suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)
test: install-dev frontend $(CHROMIUM_PATH)
	$(PY) -m pytest $(or $(PYTEST_ARGS),-n auto)  # PYTEST_ARGS="-n 0": in one process

## chromium: the browser tests drive Debian's Chromium (Playwright cannot download its own browsers everywhere);
## installed with apt-get when missing and make runs as root, otherwise make names the command and stops
$(CHROMIUM_PATH):
	@if [ "$@" = /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium || true; \
	fi
	@test -x $@ || { echo "The browser tests need Chromium at $@. Install it with:" >&2; \
		echo "    sudo apt-get install -y chromium" >&2; \
		echo "(or set CHROMIUM_PATH to a Chromium installed elsewhere), then run 'make test' again." >&2; exit 1; }
chromium: $(CHROMIUM_PATH)

## lint: ruff lint and format check, docker-compose.yml against the Compose Specification's schema (vendored in
## check-jsonschema), no model change without a migration, and the OpenAPI file matching the API
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml
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
	rm -rf var staticfiles static/govuk static/chartjs node_modules
