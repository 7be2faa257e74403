# The README's commands. `make run` needs nothing but Python 3.11; `make test`
# needs a PostgreSQL server and Redis (`.ci/run` starts them on a fresh machine).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/probation_inspections
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run install install-dev migrate demo demo-national test lint format bench load backup-drill chaos db-stop clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Migrations run as the tables' owner: DATABASE_OWNER_URL if given, else DATABASE_URL, else the
# embedded server's superuser. Everything else connects as the application role (docs/decisions/0008).
OWNER_DATABASE_URL = "$${DATABASE_OWNER_URL:-$${DATABASE_URL:-$$($(PY) config/embedded_db.py owner-url)}}"

migrate: install
	DATABASE_URL=$(OWNER_DATABASE_URL) $(PY) manage.py migrate --noinput

# As the owner too, like a migration: only the owner may date the demo's (append-only) history to 2023.
demo: migrate
	DATABASE_URL=$(OWNER_DATABASE_URL) $(PY) manage.py load_demo

# The demo plus the benchmark's synthetic national data (twelve regions, 2019-2023), once. As the
# owner: the generator skips the per-row triggers (session_replication_role), as only the owner may.
demo-national: migrate
	DATABASE_URL=$(OWNER_DATABASE_URL) $(PY) manage.py load_demo --national

run: demo
	@$(PY) manage.py demo_logins
	$(PY) manage.py runserver 127.0.0.1:8000

test: install-dev
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DJANGO_SETTINGS_MODULE=config.settings.test \
		$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install-dev
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m bench.ratings
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m bench.casework
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m bench.imports
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m bench.documents
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m bench.pages
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m bench.api

# The load test (bench/load.py): gunicorn on 127.0.0.1 serving a scratch database of the demo and the
# national data, under inspectors saving case reviews, leads, directors and analysts for 60 s, then
# stepped up to find the first limit. Fails on any error in the 60 s. LOAD_ARGS: e.g. --seconds 20.
load: install-dev
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m bench.load $(LOAD_ARGS)

# The backup and restore drill (scripts/backup_drill.py, docs/runbook-backup-and-restore.md): pg_dump
# of a populated database, pg_restore into a fresh one, every table's rows and checksum compared.
backup-drill: install-dev
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) scripts/backup_drill.py $(DRILL_ARGS)

# The chaos scenarios (tests/chaos, issue 12): each starts its own PostgreSQL (initdb, pg_ctl), Redis,
# gunicorn, Celery worker and beat, then stops Redis, kills a worker, restarts PostgreSQL or fills the
# media folder, and checks the rows and files. The suite's shared servers are not used. The disk-full and
# read-only cases mount a small tmpfs, as root (CI is). Figures: test-artifacts/chaos.txt.
chaos: install-dev
	$(VENV)/bin/pytest tests/chaos -m chaos $(PYTEST_ARGS)

db-stop:
	$(PY) config/embedded_db.py stop

clean: db-stop
	rm -rf .pgdata
