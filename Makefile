# Two commands do all the set-up: `make run` (app with demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-js lint format check migrate seed venv-dev clean-db bench messages

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed-dev test-js
	$(PY) -m pytest $(PYTEST_ARGS)

# JavaScript unit tests (the offline queue and tallies), with Node's built-in runner: no npm packages.
test-js:
	node --test tests/js/

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: $(VENV)/.installed-dev
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

bench: $(VENV)/.installed-dev
	@ls bench/*.py

clean-db:
	rm -rf var/pgdata

# Refresh the English catalogue after changing texts (then translate the new entries and run again).
messages: $(VENV)/.installed-dev
	$(PY) manage.py makemessages -l en --no-obsolete -i ".venv/*" -i "var/*" -i "bench/*" -i "tests/*"
	cd locale && ../$(PY) ../manage.py compilemessages -l en -l id
